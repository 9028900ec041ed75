// Every action goes through one confirm step: the dialog first asks the
// controller for a dry run of exactly this request and shows its summary and
// changes; only Confirm sends the real request. Changing an input discards the
// preview, so what is confirmed is what was previewed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { preview as fetchPreview, post } from './api.ts';
import { changeText } from './format.ts';
import { useCanAct } from './session.ts';
import type { Preview } from './types.ts';

export interface Field {
  name: string;
  label: string;
  kind?: 'text' | 'number' | 'select';
  options?: readonly string[];
  initial?: string;
  required?: boolean;
  hint?: string;
}

interface Props {
  /** the button's text, e.g. Isolate */
  label: string;
  /** data-testid of the button; the dialog's parts have fixed ids (action-dialog, action-preview, ...) */
  testid: string;
  title: string;
  path: string;
  fields?: readonly Field[];
  /** the request body from the fields' values (without dryRun) */
  body?: (values: Record<string, string>) => Record<string, unknown>;
  danger?: boolean;
  onDone?: () => void;
}

type Step =
  | { s: 'closed' }
  | { s: 'form' }
  | { s: 'loading' }
  | { s: 'preview'; preview: Preview }
  | { s: 'sending'; preview: Preview }
  | { s: 'error'; message: string; preview?: Preview };

export function ActionButton(p: Props) {
  const canAct = useCanAct();
  const [step, setStep] = useState<Step>({ s: 'closed' });
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);
  const fields = p.fields ?? [];

  useEffect(() => {
    const d = dialog.current;
    if (d && step.s !== 'closed' && !d.open) d.showModal();
  }, [step.s]);

  // no button at all for a role that may not act: the page shows what is, not what a viewer cannot do
  if (!canAct) return null;

  const body = () => (p.body ? p.body(values) : {});
  const missing = fields.filter((f) => f.required && !(values[f.name] ?? '').trim()).map((f) => f.label);

  async function loadPreview() {
    if (missing.length) return setStep({ s: 'error', message: `fill in: ${missing.join(', ')}` });
    setStep({ s: 'loading' });
    try {
      setStep({ s: 'preview', preview: await fetchPreview(p.path, body()) });
    } catch (err) {
      setStep({ s: 'error', message: (err as Error).message });
    }
  }

  function open() {
    setResult('');
    const initial = Object.fromEntries(fields.map((f) => [f.name, f.initial ?? '']));
    setValues(initial);
    if (fields.length) setStep({ s: 'form' });
    else void loadPreview();
  }

  function close() {
    dialog.current?.close();
    setStep({ s: 'closed' });
  }

  async function confirm(pv: Preview) {
    setStep({ s: 'sending', preview: pv });
    try {
      await post(p.path, body());
      setResult(`${p.label}: sent`);
      close();
      p.onDone?.();
    } catch (err) {
      setStep({ s: 'error', message: (err as Error).message, preview: pv });
    }
  }

  const pv = step.s === 'preview' || step.s === 'sending' ? step.preview : undefined;
  return (
    <>
      <button type="button" class={p.danger ? 'danger' : ''} data-testid={p.testid} onClick={open}>{p.label}</button>
      {result && <span class="result" role="status" data-testid="action-result">{result}</span>}
      {step.s !== 'closed' && (
        <dialog ref={dialog} data-testid="action-dialog" aria-labelledby="action-title" onClose={() => setStep({ s: 'closed' })}>
          <h2 id="action-title">{p.title}</h2>
          {fields.length > 0 && (
            <form class="fields" onSubmit={(e) => { e.preventDefault(); void loadPreview(); }}>
              {fields.map((f) => (
                <label key={f.name}>
                  <span>{f.label}{f.required ? ' (required)' : ''}</span>
                  {f.kind === 'select' ? (
                    <select name={f.name} data-testid={`field-${f.name}`} value={values[f.name] ?? ''}
                      onChange={(e) => { setValues({ ...values, [f.name]: (e.target as HTMLSelectElement).value }); setStep({ s: 'form' }); }}>
                      {(f.options ?? []).map((o) => <option key={o} value={o}>{o}</option>)}
                    </select>
                  ) : (
                    <input name={f.name} type={f.kind === 'number' ? 'number' : 'text'} data-testid={`field-${f.name}`} value={values[f.name] ?? ''}
                      onInput={(e) => { setValues({ ...values, [f.name]: (e.target as HTMLInputElement).value }); setStep({ s: 'form' }); }} />
                  )}
                  {f.hint && <small>{f.hint}</small>}
                </label>
              ))}
              {!pv && <button type="submit" data-testid="action-preview" disabled={step.s === 'loading'}>Preview</button>}
            </form>
          )}
          {step.s === 'loading' && <p role="status">Asking the controller what this would change…</p>}
          {pv && (
            <section class="preview" aria-label="what will change">
              <p data-testid="preview-summary"><strong>{pv.summary}</strong></p>
              {pv.changes.length > 0 ? (
                <ul data-testid="preview-changes">{pv.changes.map((c, i) => <li key={i}>{changeText(c)}</li>)}</ul>
              ) : <p data-testid="preview-changes">No change.</p>}
            </section>
          )}
          {step.s === 'error' && <p class="error" role="alert" data-testid="action-error">{step.message}</p>}
          <div class="buttons">
            {step.s === 'error' && fields.length === 0 && <button type="button" onClick={() => void loadPreview()}>Preview again</button>}
            {pv && (
              <button type="button" class={p.danger ? 'danger' : 'primary'} data-testid="action-confirm" disabled={step.s === 'sending'}
                onClick={() => void confirm(pv)}>{step.s === 'sending' ? 'Sending…' : `Confirm: ${p.label}`}</button>
            )}
            <button type="button" data-testid="action-cancel" onClick={close}>Cancel</button>
          </div>
        </dialog>
      )}
    </>
  );
}
