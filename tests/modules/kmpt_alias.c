// SPDX-License-Identifier: GPL-2.0
/*
 * kmpt_alias - exports nothing, carries many aliases:
 *  - hand-written MODULE_ALIAS strings with commas, spaces, brackets, no colon;
 *  - three PCI aliases that differ only in the device id (150A/150B/150C),
 *    i.e. candidates for merging into one pattern;
 *  - modpost-generated aliases from a PCI table (2 entries) and a USB table
 *    (1 entry).
 * Only a PCI driver is registered (PCI is built into vmlinux); the USB table is
 * declared for its aliases only, so the module does not depend on usbcore.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/pci.h>
#include <linux/printk.h>
#include <linux/usb.h>

static const struct pci_device_id kmpt_alias_pci_ids[] = {
	/* pci:v00008086d00001572sv00008086sd00000001bc*sc*i* */
	{ PCI_DEVICE_SUB(0x8086, 0x1572, 0x8086, 0x0001) },
	/* pci:v000010EEd00007011sv*sd*bc*sc*i* */
	{ PCI_DEVICE(0x10ee, 0x7011) },
	{ }
};
MODULE_DEVICE_TABLE(pci, kmpt_alias_pci_ids);

static const struct usb_device_id kmpt_alias_usb_ids[] = {
	/* usb:v1D6Bp0104d*dc*dsc*dp*ic*isc*ip*in* */
	{ USB_DEVICE(0x1d6b, 0x0104) },
	{ }
};
MODULE_DEVICE_TABLE(usb, kmpt_alias_usb_ids);

static int kmpt_alias_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	/* never binds: this is a packaging fixture */
	return -ENODEV;
}

static struct pci_driver kmpt_alias_pci_driver = {
	.name = "kmpt_alias",
	.id_table = kmpt_alias_pci_ids,
	.probe = kmpt_alias_probe,
};

static int __init kmpt_alias_init(void)
{
	return pci_register_driver(&kmpt_alias_pci_driver);
}

static void __exit kmpt_alias_exit(void)
{
	pci_unregister_driver(&kmpt_alias_pci_driver);
}

module_init(kmpt_alias_init);
module_exit(kmpt_alias_exit);

MODULE_ALIAS("pci:v00008086d0000150Asv*sd*bc*sc*i*");
MODULE_ALIAS("pci:v00008086d0000150Bsv*sd*bc*sc*i*");
MODULE_ALIAS("pci:v00008086d0000150Csv*sd*bc*sc*i*");
MODULE_ALIAS("of:N*T*Cvendor,model-x");
MODULE_ALIAS("acpi*:ABC1234:*");
MODULE_ALIAS("dmi:bvn*:pn*Some Product Name*:");
MODULE_ALIAS("platform:kmpt alias[1]");
MODULE_ALIAS("fs-kmptfs");
MODULE_ALIAS("char-major-10-250");
MODULE_ALIAS("devname:kmpt0");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmpkit test suite <kmpkit@example.invalid>");
MODULE_DESCRIPTION("kmpkit test fixture: many aliases, device tables, no exports");
MODULE_VERSION("3.1");
