import type { ImageDialog } from './ImageActions';
import { CopyDialog, DeleteDialog, EditDialog, LeaveDialog } from './SimpleDialogs';
import { LaunchDialog } from '../LaunchDialog';
import { LifecycleDialog } from './LifecycleDialog';
import { ShareDialog } from './ShareDialog';
import { SharingPanel } from './SharingPanel';
import { UploadDialog } from './UploadDialog';

export function ImageDialogs({
  dialog,
  region,
  onClose,
  onOpen,
}: {
  dialog: ImageDialog | null;
  region: string;
  onClose(): void;
  onOpen(dialog: ImageDialog): void;
}) {
  if (!dialog) return null;
  switch (dialog.type) {
    case 'upload':
      return <UploadDialog region={region} onClose={onClose} />;
    case 'share':
      return (
        <ShareDialog
          image={dialog.image}
          onClose={onClose}
          onOpenPanel={() => onOpen({ ...dialog, type: 'sharing' })}
        />
      );
    case 'sharing':
      return (
        <SharingPanel
          image={dialog.image}
          onClose={onClose}
          onShare={() => onOpen({ ...dialog, type: 'share' })}
        />
      );
    case 'copy':
      return <CopyDialog image={dialog.image} onClose={onClose} />;
    case 'edit':
      return <EditDialog image={dialog.image} onClose={onClose} />;
    case 'lifecycle':
      return <LifecycleDialog image={dialog.image} onClose={onClose} />;
    case 'delete':
      return (
        <DeleteDialog
          image={dialog.image}
          onClose={onClose}
          onOpenPanel={() => onOpen({ ...dialog, type: 'sharing' })}
        />
      );
    case 'launch':
      return <LaunchDialog region={dialog.image.region || region} image={dialog.image} onClose={onClose} />;
    case 'leave':
      return <LeaveDialog image={dialog.image} onClose={onClose} />;
  }
}
