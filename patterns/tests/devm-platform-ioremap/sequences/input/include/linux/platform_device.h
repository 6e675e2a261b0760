/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _PLATFORM_DEVICE_H_
#define _PLATFORM_DEVICE_H_

struct platform_device;
struct resource;

struct resource *platform_get_resource(struct platform_device *dev,
				       unsigned int type, unsigned int num);
void __iomem *devm_platform_ioremap_resource(struct platform_device *pdev,
					     unsigned int index);

#endif /* _PLATFORM_DEVICE_H_ */
