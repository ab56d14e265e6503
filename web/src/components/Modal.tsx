// The library's dialog with what it leaves out for assistive technology: role="dialog", aria-modal, a name from
// the visible title, focus moved into the dialog on open and back to where it was on close.
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Dialog } from 'tdesign-react';

// While a dialog is open the page behind it is inert: no focus, no clicks, hidden from assistive technology
// (the dialog itself is portalled outside #root). Counted, as one dialog may open another.
let openDialogs = 0;
function makeBackgroundInert(): () => void {
  const root = document.getElementById('root');
  openDialogs += 1;
  root?.setAttribute('inert', '');
  return () => {
    openDialogs -= 1;
    if (openDialogs === 0) root?.removeAttribute('inert');
  };
}

export function Modal({
  visible,
  title,
  onClose,
  footer,
  width = 560,
  children,
}: {
  visible: boolean;
  title: string;
  onClose(): void;
  footer: ReactNode;
  width?: number;
  children: ReactNode;
}) {
  const id = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const marker = `modal-${id}`;
  const titleId = `${marker}-title`;
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    if (!visible) return;
    opener.current = document.activeElement;
    const release = makeBackgroundInert();
    // The dialog mounts in a portal on the next frame.
    const timer = window.setTimeout(() => {
      const ctx = document.querySelector(`.${marker}`);
      const card = ctx?.querySelector('.t-dialog');
      if (!ctx || !card) return;
      ctx.removeAttribute('tabindex');
      card.setAttribute('role', 'dialog');
      card.setAttribute('aria-modal', 'true');
      card.setAttribute('aria-labelledby', titleId);
      card.setAttribute('tabindex', '-1');
      const first = card.querySelector<HTMLElement>(
        'input:not([disabled]):not([type=hidden]), textarea:not([disabled]), [data-autofocus]',
      );
      (first ?? (card as HTMLElement)).focus();
    }, 50);
    return () => {
      window.clearTimeout(timer);
      release();
      if (opener.current instanceof HTMLElement && document.contains(opener.current)) opener.current.focus();
    };
  }, [visible, marker, titleId]);

  return (
    <Dialog
      visible={visible}
      className={marker}
      header={
        <h2 id={titleId} className="dialog-title">
          {title}
        </h2>
      }
      closeBtn={false}
      onClose={onClose}
      closeOnOverlayClick={false}
      footer={<div className="dialog-footer">{footer}</div>}
      width={`min(${width}px, 94vw)`}
      destroyOnClose
      placement="center"
    >
      {children}
    </Dialog>
  );
}
