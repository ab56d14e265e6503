// The one dialog every console window is made of: a title, a body, an error from the dialog's call said in words,
// and a footer of at most three kinds of control (further controls, a dismiss button, the main action), so each
// dialog states what it does instead of repeating the markup. Built on Modal (focus, inert background, names).
import type { ReactElement, ReactNode } from 'react';
import { errorMessage } from '../api/errors';
import { useI18n } from '../i18n';
import { Button } from './Button';
import { Modal } from './Modal';

export interface DialogButton {
  label: string;
  onClick(): void;
  /** 'danger' for what cannot be undone; the main action is 'primary' by default. */
  theme?: 'primary' | 'danger' | 'default';
  variant?: 'base' | 'outline';
  disabled?: boolean;
  loading?: boolean;
  icon?: ReactElement;
  /** Focused when the dialog opens (a confirmation has no field to focus). */
  autoFocus?: boolean;
}

export interface ActionDialogProps {
  title: string;
  onClose(): void;
  width?: number;
  /** The dialog's main action, last in the footer. Omitted, the dialog only informs. */
  action?: DialogButton | null;
  /** The button before the main action: "Cancel", closing the dialog, unless given; null for none. */
  dismiss?: DialogButton | null;
  /** Further controls at the start of the footer (for example "Cancel sharing for all"). */
  extra?: ReactNode;
  /** The failure of the dialog's call, shown in words under the body; nothing when null or undefined. */
  error?: unknown;
  /** False while closing would lose work in flight (an upload must be cancelled first). */
  closable?: boolean;
  children?: ReactNode;
}

export function ActionDialog({
  title,
  onClose,
  width,
  action,
  dismiss,
  extra,
  error,
  closable = true,
  children,
}: ActionDialogProps) {
  const { t } = useI18n();
  const cancel: DialogButton | null =
    dismiss === undefined ? { label: t('common.cancel'), onClick: onClose } : dismiss;
  return (
    <Modal
      visible
      title={title}
      width={width}
      onClose={closable ? onClose : () => {}}
      footer={
        <>
          {extra}
          {cancel ? renderButton(cancel, 'outline', 'default') : null}
          {action ? renderButton(action, 'base', 'primary') : null}
        </>
      }
    >
      {children}
      {error !== undefined && error !== null ? (
        <div role="alert" className="form-error">
          {errorMessage(t, error)}
        </div>
      ) : null}
    </Modal>
  );
}

function renderButton(
  button: DialogButton,
  variant: NonNullable<DialogButton['variant']>,
  theme: NonNullable<DialogButton['theme']>,
) {
  return (
    <Button
      theme={button.theme ?? theme}
      variant={button.variant ?? variant}
      disabled={button.disabled}
      loading={button.loading}
      icon={button.icon}
      onClick={button.onClick}
      {...(button.autoFocus ? { 'data-autofocus': true } : {})}
    >
      {button.label}
    </Button>
  );
}
