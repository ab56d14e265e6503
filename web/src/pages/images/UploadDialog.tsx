// Upload an image from a local file: the image is created, then the File is streamed with XHR (never read into
// memory here), with a progress bar, speed, time left and cancel; the checksums are shown at the end.
import { useEffect, useRef, useState } from 'react';
import { Alert, Input, Progress, Select, Textarea } from 'tdesign-react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, uploadImageFile, type UploadHandle } from '../../api/client';
import { keys } from '../../api/queries';
import type { ImageView } from '../../api/types';
import { Field } from '../../components/Field';
import { formatBytes, formatDuration } from '../../components/format';
import { ActionDialog, type ActionDialogProps } from '../../components/ActionDialog';
import { useI18n } from '../../i18n';

const DISK_FORMATS = ['qcow2', 'raw', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso', 'ploop', 'ami', 'ari', 'aki'];
const CONTAINER_FORMATS = ['bare', 'ovf', 'ova', 'docker', 'compressed', 'ami', 'ari', 'aki'];

function guessDiskFormat(fileName: string): string {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (ext === 'img') return 'raw';
  return DISK_FORMATS.includes(ext) ? ext : 'qcow2';
}

type Phase =
  | { step: 'form' }
  | { step: 'uploading'; loaded: number; total: number; speed: number }
  | { step: 'done'; image: ImageView }
  | { step: 'failed'; error: unknown };

/** Bytes per second over the last few seconds, so the figure follows the link rather than the start. */
function useSpeedMeter() {
  const samples = useRef<{ at: number; loaded: number }[]>([]);
  return {
    reset: () => {
      samples.current = [];
    },
    add(loaded: number): number {
      const now = performance.now();
      samples.current.push({ at: now, loaded });
      while (samples.current.length > 2 && now - (samples.current[0]?.at ?? now) > 3000)
        samples.current.shift();
      const first = samples.current[0];
      if (!first || now - first.at < 200) return 0;
      return ((loaded - first.loaded) * 1000) / (now - first.at);
    },
  };
}

export function UploadDialog({ region, onClose }: { region: string; onClose(): void }) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [diskFormat, setDiskFormat] = useState('qcow2');
  const [containerFormat, setContainerFormat] = useState('bare');
  const [phase, setPhase] = useState<Phase>({ step: 'form' });
  const [formError, setFormError] = useState<string | null>(null);
  const handle = useRef<UploadHandle | null>(null);
  const createdId = useRef<string | null>(null);
  const meter = useSpeedMeter();

  // Closing the dialog mid-upload cancels it.
  useEffect(() => () => handle.current?.cancel(), []);

  function pickFile(picked: File | null) {
    setFile(picked);
    if (picked) {
      if (!name) setName(picked.name.replace(/\.[^.]+$/, '').slice(0, 255));
      setDiskFormat(guessDiskFormat(picked.name));
    }
  }

  async function start() {
    if (!file) return setFormError(t('upload.needFile'));
    if (!name.trim()) return setFormError(t('upload.needName'));
    setFormError(null);
    meter.reset();
    setPhase({ step: 'uploading', loaded: 0, total: file.size, speed: 0 });
    try {
      const image = await api<ImageView>('POST', '/images', {
        body: { region, name: name.trim(), description, diskFormat, containerFormat },
      });
      createdId.current = image.id;
      void client.invalidateQueries({ queryKey: keys.images });
      handle.current = uploadImageFile(image.id, file, ({ loaded, total }) =>
        setPhase({ step: 'uploading', loaded, total, speed: meter.add(loaded) }),
      );
      const done = await handle.current.done;
      handle.current = null;
      createdId.current = null;
      setPhase({ step: 'done', image: done });
    } catch (error) {
      handle.current = null;
      // An image left without data is of no use: remove it (best effort) so the list does not fill with them.
      if (createdId.current) {
        const id = createdId.current;
        createdId.current = null;
        await api('DELETE', `/images/${encodeURIComponent(id)}`).catch(() => undefined);
      }
      if (error instanceof ApiError && error.code === 'Cancelled') setPhase({ step: 'form' });
      else setPhase({ step: 'failed', error });
    } finally {
      void client.invalidateQueries({ queryKey: keys.images });
      void client.invalidateQueries({ queryKey: keys.history });
    }
  }

  const uploading = phase.step === 'uploading';
  const buttons: Pick<ActionDialogProps, 'action' | 'dismiss'> =
    phase.step === 'done'
      ? { dismiss: null, action: { label: t('common.done'), onClick: onClose, autoFocus: true } }
      : uploading
        ? {
            dismiss: null,
            action: {
              label: t('upload.cancel'),
              theme: 'danger',
              variant: 'outline',
              autoFocus: true,
              onClick: () => handle.current?.cancel(),
            },
          }
        : {
            action: {
              label: t(phase.step === 'failed' ? 'common.retry' : 'upload.start'),
              onClick: () => void start(),
            },
          };

  return (
    <ActionDialog
      width={640}
      title={t('upload.title', { region })}
      onClose={onClose}
      closable={!uploading}
      error={phase.step === 'failed' ? phase.error : null}
      {...buttons}
    >
      {phase.step === 'form' || phase.step === 'failed' ? (
        <>
          <div className="field">
            <label className="file-picker">
              <span className="field-label">{t('upload.file')}</span>
              <input type="file" onChange={(event) => pickFile(event.target.files?.[0] ?? null)} />
            </label>
            {file ? (
              <div className="field-hint">
                {t('upload.fileInfo', { name: file.name, size: formatBytes(file.size) })}
              </div>
            ) : null}
          </div>
          <Field label={t('images.col.name')}>
            <Input value={name} onChange={(v) => setName(v)} maxlength={255} />
          </Field>
          <Field label={t('edit.description')}>
            <Textarea value={description} onChange={(v) => setDescription(v)} maxlength={1024} />
          </Field>
          <div className="field-row">
            <Field label={t('upload.diskFormat')}>
              <Select
                value={diskFormat}
                onChange={(v) => setDiskFormat(v as string)}
                options={DISK_FORMATS.map((f) => ({ value: f, label: f }))}
              />
            </Field>
            <Field label={t('upload.containerFormat')}>
              <Select
                value={containerFormat}
                onChange={(v) => setContainerFormat(v as string)}
                options={CONTAINER_FORMATS.map((f) => ({ value: f, label: f }))}
              />
            </Field>
          </div>
          {formError ? (
            <div role="alert" className="form-error">
              {formError}
            </div>
          ) : null}
        </>
      ) : null}
      {phase.step === 'uploading' ? <UploadProgress {...phase} fileName={file?.name ?? ''} /> : null}
      {phase.step === 'done' ? (
        <div role="status">
          <Alert theme="success" message={t('upload.done', { name: phase.image.name })} />
          <dl className="checksums">
            <dt>{t('upload.size')}</dt>
            <dd>{formatBytes(phase.image.size)}</dd>
            <dt>MD5</dt>
            <dd>
              <code className="hash">{phase.image.checksum ?? '—'}</code>
            </dd>
            <dt>SHA-512</dt>
            <dd>
              <code className="hash">{phase.image.sha512 ?? '—'}</code>
            </dd>
          </dl>
        </div>
      ) : null}
    </ActionDialog>
  );
}

function UploadProgress({
  loaded,
  total,
  speed,
  fileName,
}: {
  loaded: number;
  total: number;
  speed: number;
  fileName: string;
}) {
  const { t } = useI18n();
  const percent = total > 0 ? Math.min(100, Math.floor((loaded * 100) / total)) : 0;
  const secondsLeft = speed > 0 ? (total - loaded) / speed : Number.NaN;
  return (
    <div className="upload-progress">
      <p>{t('upload.sending', { name: fileName })}</p>
      <div
        role="progressbar"
        aria-label={t('upload.progress')}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <Progress percentage={percent} theme="plump" />
      </div>
      <p className="upload-figures">
        <span>{t('upload.sent', { loaded: formatBytes(loaded), total: formatBytes(total) })}</span>
        <span>{t('upload.speed', { speed: speed > 0 ? `${formatBytes(speed)}/s` : '—' })}</span>
        <span>{t('upload.left', { time: formatDuration(secondsLeft) })}</span>
      </p>
    </div>
  );
}
