/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __FMAC_PLATFORM_H__
#define __FMAC_PLATFORM_H__

int fmac_pltfr_probe(struct platform_device *pdev);
void fmac_pltfr_remove(struct platform_device *pdev);

#endif
