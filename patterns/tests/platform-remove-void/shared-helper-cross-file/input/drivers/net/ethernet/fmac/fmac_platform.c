// SPDX-License-Identifier: GPL-2.0
/* Shared glue for the sample MAC: every bus front end removes the same way. */
#include <linux/platform_device.h>
#include "fmac_platform.h"

int fmac_pltfr_remove(struct platform_device *pdev)
{
	struct fmac_priv *priv = platform_get_drvdata(pdev);

	fmac_dvr_remove(priv);
	fmac_remove_config_dt(pdev, priv->plat);

	return 0;
}
EXPORT_SYMBOL_GPL(fmac_pltfr_remove);
