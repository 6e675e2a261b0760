// SPDX-License-Identifier: GPL-2.0
/*
 * A temperature sensor whose probe never reads the id it is given.
 */

#include <linux/i2c.h>
#include <linux/module.h>

struct thermo {
	struct i2c_client *client;
	int scale;
};

static int thermo_probe(struct i2c_client *client,
			const struct i2c_device_id *id)
{
	struct thermo *t;

	t = devm_kzalloc(&client->dev, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->client = client;
	return 0;
}

static const struct i2c_device_id thermo_id[] = {
	{ "thermo", 0 },
	{ }
};

static struct i2c_driver thermo_driver = {
	.driver = {
		.name	= "thermo",
	},
	.probe		= thermo_probe,
	.id_table	= thermo_id,
};
module_i2c_driver(thermo_driver);
