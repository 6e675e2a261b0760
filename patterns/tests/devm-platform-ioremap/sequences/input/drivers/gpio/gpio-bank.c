// SPDX-License-Identifier: GPL-2.0
/*
 * GPIO banks mapped in the shapes drivers use: lookup right before the
 * mapping, lookup with other work between, the resource kept for its
 * size, and the resource reassigned in between.
 */

#include <linux/io.h>
#include <linux/platform_device.h>

struct bank {
	void __iomem *base;
	void __iomem *ctrl;
	resource_size_t size;
	int irq;
};

static int bank_probe(struct platform_device *pdev)
{
	struct bank *b;
	struct resource *res;

	b = devm_kzalloc(&pdev->dev, sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	b->base = devm_ioremap_resource(&pdev->dev, res);
	if (IS_ERR(b->base))
		return PTR_ERR(b->base);

	return 0;
}

static int bank2_probe(struct platform_device *pdev)
{
	struct resource *mem, *irq_res;
	struct bank *b;

	b = devm_kzalloc(&pdev->dev, sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	mem = platform_get_resource(pdev, IORESOURCE_MEM, 1);
	irq_res = platform_get_resource(pdev, IORESOURCE_IRQ, 0);
	b->irq = irq_res ? irq_res->start : -1;
	b->ctrl = devm_ioremap_resource(&pdev->dev, mem);
	if (IS_ERR(b->ctrl))
		return PTR_ERR(b->ctrl);
	return 0;
}

static int bank3_probe(struct platform_device *pdev)
{
	struct resource *res;
	struct bank *b = platform_get_drvdata(pdev);

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	b->base = devm_ioremap_resource(&pdev->dev, res);
	if (IS_ERR(b->base))
		return PTR_ERR(b->base);
	b->size = resource_size(res);
	return 0;
}

static int bank4_probe(struct platform_device *pdev)
{
	struct resource *res;
	struct bank *b = platform_get_drvdata(pdev);

	res = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!res)
		res = platform_get_resource(pdev, IORESOURCE_MEM, 1);
	b->base = devm_ioremap_resource(&pdev->dev, res);
	return PTR_ERR_OR_ZERO(b->base);
}
