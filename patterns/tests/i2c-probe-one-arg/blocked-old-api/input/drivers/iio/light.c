// SPDX-License-Identifier: GPL-2.0
/*
 * Light sensors: one probe reads the id's driver data, one is shared,
 * one already takes the client alone, one was written for .probe_new.
 */

#include <linux/i2c.h>
#include <linux/module.h>

static int light_probe(struct i2c_client *client, const struct i2c_device_id *id)
{
	int gain = id->driver_data;

	return light_setup(client, gain);
}

static struct i2c_driver light_driver = {
	.probe = light_probe,
	.id_table = light_id,
};

int light_common_probe(struct i2c_client *client, const struct i2c_device_id *id)
{
	return light_setup(client, 1);
}

static struct i2c_driver light_common_driver = {
	.probe = light_common_probe,
};

static int lux_probe(struct i2c_client *client)
{
	return light_setup(client, 2);
}

static struct i2c_driver lux_driver = {
	.probe = lux_probe,
};

static int dim_probe(struct i2c_client *client)
{
	return light_setup(client, 3);
}

static struct i2c_driver dim_driver = {
	.probe_new	= dim_probe,
};

static struct i2c_driver remote_driver = {
	.probe = remote_probe,
};

static int glow_probe(struct i2c_client *client, const struct i2c_device_id *id)
{
	return light_setup(client, id->driver_data);
}

static struct i2c_driver glow_driver = {
	.probe = glow_probe,
};

static int flash_probe(struct i2c_client *client, const struct i2c_device_id *id)
{
	return light_setup(client, 4);
}

static int flash_resume(struct i2c_client *client)
{
	return flash_probe(client, NULL);
}

static struct i2c_driver flash_driver = {
	.probe = flash_probe,
};
