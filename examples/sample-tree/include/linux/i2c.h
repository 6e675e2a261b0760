/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_I2C_H
#define _LINUX_I2C_H

struct i2c_client;

struct i2c_driver {
	int (*probe)(struct i2c_client *client);
	void (*remove)(struct i2c_client *client);
};

#endif /* _LINUX_I2C_H */
