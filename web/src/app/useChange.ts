// A change made from the console: the call, the success message, and the cached lists it touched fetched again,
// written once instead of in every dialog and row action.
import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { MessagePlugin } from 'tdesign-react';
import { errorMessage } from '../api/errors';
import { useI18n } from '../i18n';

export function useChange<TInput = void, TResult = unknown>(options: {
  run(input: TInput): Promise<TResult>;
  /** The query keys whose data the change alters (images, history, instances...). */
  touches: readonly QueryKey[];
  /** The message shown when the change is done; none when omitted. */
  doneMessage?(result: TResult, input: TInput): string;
  onDone?(result: TResult, input: TInput): void;
  /** Row actions have no dialog to show the failure in: they say it in a message instead. */
  reportErrors?: boolean;
}) {
  const { t } = useI18n();
  const client = useQueryClient();
  return useMutation<TResult, unknown, TInput>({
    mutationFn: options.run,
    onSuccess: (result, input) => {
      const message = options.doneMessage?.(result, input);
      if (message) void MessagePlugin.success(message);
      for (const queryKey of options.touches) void client.invalidateQueries({ queryKey });
      options.onDone?.(result, input);
    },
    onError: options.reportErrors ? (error) => void MessagePlugin.error(errorMessage(t, error)) : undefined,
  });
}
