// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt_core - root of the kmpkit test-module dependency chain.
 * Exports three symbols (a variable and a function with EXPORT_SYMBOL, a
 * function with EXPORT_SYMBOL_GPL) and imports only from vmlinux.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

#include "kmpt_core.h"

int kmpt_core_value = 42;
EXPORT_SYMBOL(kmpt_core_value);

int kmpt_core_add(int a, int b)
{
	return a + b;
}
EXPORT_SYMBOL(kmpt_core_add);

void kmpt_core_hello(const char *who)
{
	pr_info("kmpt_core: hello, %s (value=%d)\n", who, kmpt_core_value);
}
EXPORT_SYMBOL_GPL(kmpt_core_hello);

static int __init kmpt_core_init(void)
{
	kmpt_core_hello("init");
	return 0;
}

static void __exit kmpt_core_exit(void)
{
	pr_info("kmpt_core: bye\n");
}

module_init(kmpt_core_init);
module_exit(kmpt_core_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: exporting core module");
MODULE_VERSION("1.2.3");
