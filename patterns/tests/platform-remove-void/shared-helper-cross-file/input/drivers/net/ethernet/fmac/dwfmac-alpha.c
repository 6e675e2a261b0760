// SPDX-License-Identifier: GPL-2.0
/* Sample alpha front end of the shared MAC glue. */
#include <linux/module.h>
#include <linux/platform_device.h>
#include "fmac_platform.h"

static struct platform_driver alpha_driver = {
	.probe  = fmac_pltfr_probe,
	.remove = fmac_pltfr_remove,
	.driver = {
		.name = "alpha",
	},
};
module_platform_driver(alpha_driver);
MODULE_LICENSE("GPL");
