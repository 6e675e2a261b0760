/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_STRING_H_
#define _LINUX_STRING_H_

ssize_t strscpy(char *dest, const char *src, size_t count);

#endif /* _LINUX_STRING_H_ */
