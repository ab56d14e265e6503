// A labelled control: the <label> wraps the control, so the library's inner <input> gets its accessible name
// without needing an id (the component library puts ids on its wrapper, not on the input).
import type { ReactNode } from 'react';

export function Field({ label, hint, children }: { label: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="field">
      <label>
        <span className="field-label">{label}</span>
        {children}
      </label>
      {hint ? <div className="field-hint">{hint}</div> : null}
    </div>
  );
}
