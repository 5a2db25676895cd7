// SPDX-License-Identifier: GPL-2.0-only
/*
 * uio_daq: forwarding the card's interrupt to userspace.
 *
 * The stub cannot acknowledge the interrupt in the card (it knows nothing
 * about the card's registers), so it must keep it from firing again until
 * the userspace driver has acknowledged it:
 * - MSI and MSI-X (preferred, in that order, unless force_intx) are
 *   edge-like: nothing to mask, each message is one event.
 *   irqcontrol still masks and unmasks the vector on request.
 * - INTx is level-triggered and may be shared: the handler claims the
 *   interrupt only if this function asserted it and is not masked already,
 *   and masks it in the PCI command register (pci_check_and_mask_intx).
 *   Userspace acknowledges the card, then writes 1 to the device node to
 *   unmask. The masked state is kept in @intx_masked, as vfio-pci does:
 *   the status bit of a masked function stays set until the card is
 *   acknowledged, so without it every interrupt of another device on the
 *   line would be claimed as ours, become a spurious event, and hide a
 *   stuck line from the spurious-interrupt detector.
 */
#include <linux/interrupt.h>

#include "udaq.h"

static irqreturn_t uiodaq_irq_msi(int irq, struct uio_info *info)
{
	return IRQ_HANDLED;
}

static irqreturn_t uiodaq_irq_intx(int irq, struct uio_info *info)
{
	struct uiodaq_dev *ud = info->priv;
	irqreturn_t ret = IRQ_NONE;

	spin_lock(&ud->irq_lock);
	if (!ud->intx_masked && pci_check_and_mask_intx(ud->pdev)) {
		ud->intx_masked = true;
		ret = IRQ_HANDLED;
	}
	spin_unlock(&ud->irq_lock);
	return ret;
}

/* Called by UIO under its info lock, so calls never race each other. */
static int uiodaq_irqcontrol_msi(struct uio_info *info, s32 on)
{
	struct uiodaq_dev *ud = info->priv;
	unsigned long flags;

	spin_lock_irqsave(&ud->irq_lock, flags);
	if (on && ud->irq_disabled) {
		enable_irq(info->irq);
		ud->irq_disabled = false;
	} else if (!on && !ud->irq_disabled) {
		disable_irq_nosync(info->irq);
		ud->irq_disabled = true;
	}
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	return 0;
}

static int uiodaq_irqcontrol_intx(struct uio_info *info, s32 on)
{
	struct uiodaq_dev *ud = info->priv;
	unsigned long flags;
	bool pending = false;

	spin_lock_irqsave(&ud->irq_lock, flags);
	if (!on) {
		pci_intx(ud->pdev, 0);
		ud->intx_masked = true;
	} else if (ud->intx_masked) {
		/*
		 * If the card still asserts the line, unmasking would fire
		 * at once; report it as the event it is and leave the line
		 * masked, which keeps a level interrupt from being lost or
		 * storming.
		 */
		pending = !pci_check_and_unmask_intx(ud->pdev);
		ud->intx_masked = pending;
	}
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	if (pending)
		uio_event_notify(info);
	return 0;
}

int uiodaq_irq_setup(struct uiodaq_dev *ud)
{
	struct pci_dev *pdev = ud->pdev;
	unsigned int types = PCI_IRQ_INTX;
	int ret;

	if (!ud->cfg.force_intx)
		types |= PCI_IRQ_MSI | PCI_IRQ_MSIX;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, types);
	if (ret < 0) {
		dev_warn(&pdev->dev, "no usable interrupt (%d): maps only\n",
			 ret);
		ud->info.irq = UIO_IRQ_NONE;
		return 0;
	}
	uiodaq_stat_add(UIODAQ_STAT_IRQ_VECTORS, 1);
	ud->msi = pdev->msi_enabled || pdev->msix_enabled;
	if (!ud->msi && !pci_intx_mask_supported(pdev)) {
		dev_warn(&pdev->dev, "INTx cannot be masked in config space: maps only\n");
		pci_free_irq_vectors(pdev);
		uiodaq_stat_add(UIODAQ_STAT_IRQ_VECTORS, -1);
		ud->info.irq = UIO_IRQ_NONE;
		return 0;
	}

	ud->info.irq = pci_irq_vector(pdev, 0);
	if (ud->msi) {
		ud->info.handler = uiodaq_irq_msi;
		ud->info.irqcontrol = uiodaq_irqcontrol_msi;
		ud->info.irq_flags = 0;
	} else {
		ud->info.handler = uiodaq_irq_intx;
		ud->info.irqcontrol = uiodaq_irqcontrol_intx;
		ud->info.irq_flags = IRQF_SHARED;
	}
	return 0;
}

void uiodaq_irq_teardown(struct uiodaq_dev *ud)
{
	if (ud->info.irq != UIO_IRQ_NONE) {
		pci_free_irq_vectors(ud->pdev);
		uiodaq_stat_add(UIODAQ_STAT_IRQ_VECTORS, -1);
	}
	ud->info.irq = UIO_IRQ_NONE;
}
