// SPDX-License-Identifier: GPL-2.0
/*
 * Sample GPIO controller: the remove callback returns 0 on every path.
 */
#include <linux/module.h>
#include <linux/platform_device.h>

struct fgpio {
	void __iomem *base;
	struct clk *clk;
	bool suspended;
};

static int fgpio_probe(struct platform_device *pdev)
{
	return 0;
}

static int fgpio_remove(struct platform_device *pdev)
{
	struct fgpio *fg = platform_get_drvdata(pdev);

	if (!fg)
		return 0;	/* never bound */

	if (fg->suspended) {
		clk_disable_unprepare(fg->clk);
		return 0;
	}

	writel(0, fg->base + 0x10);
	/* The clock goes last: the register write above needs it. */
	clk_disable_unprepare(fg->clk);

	return 0;
}

#ifdef CONFIG_PM
static int fgpio_suspend(struct device *dev)
{
	return 0;
}
#endif

static struct platform_driver fgpio_driver = {
	.probe		= fgpio_probe,
	.remove		= fgpio_remove,
#ifdef CONFIG_PM
	.suspend	= fgpio_suspend,
#endif
	.driver		= {
		.name	= "fgpio",
	},
};
module_platform_driver(fgpio_driver);
MODULE_LICENSE("GPL");
