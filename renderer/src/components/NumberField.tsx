/**
 * The one numeric field of the window (every numeric input of every workspace is one of these): the
 * typed text is its state while editing, parsed on every change against the option's domain
 * (app/shared/numeric.ts, the definition the host validates with) into a committed value or an
 * error shown at the field. Escape restores, Enter commits. `errorKey` registers a standing error in
 * the store, so a workspace (the builder's ✓, Build) knows that a field does not parse.
 */
import { useEffect, useRef, useState } from 'react';
import { numericText, parseNumeric, parseNumericList, type NumericDomain } from '../../../app/shared/numeric';
import { useApp } from '../store/hooks';
import { draftStep, IDLE, type Draft, type DraftEvent, type ParseResult } from './fieldDraft';

function useDraftField<T>(
  value: T,
  parse: (text: string) => ParseResult<T>,
  format: (v: T) => string,
  onChange: (v: T) => void,
  same: (a: T, b: T) => boolean,
  errorKey: string | undefined,
) {
  const [draft, setDraft] = useState<Draft<T>>(IDLE);
  const ref = useRef<HTMLInputElement>(null);
  const setFieldError = useApp((s) => s.setFieldError);
  const apply = (ev: DraftEvent) => {
    const r = draftStep(draft, ev, value, parse, same);
    setDraft(r.draft);
    if ('commit' in r) onChange(r.commit as T);
  };
  // A value replaced from elsewhere (a preset, a conversion, a loaded file) drops a stale draft.
  const shownValue = format(value);
  useEffect(() => {
    if (ref.current !== document.activeElement) setDraft(IDLE);
  }, [shownValue]);
  useEffect(() => {
    if (errorKey) setFieldError(errorKey, draft.error);
  }, [errorKey, draft.error, setFieldError]);
  useEffect(() => () => void (errorKey && setFieldError(errorKey, null)), [errorKey, setFieldError]);
  const inputProps = {
    ref,
    type: 'text',
    value: draft.text ?? shownValue,
    spellCheck: false,
    autoComplete: 'off',
    'aria-invalid': draft.error ? true : undefined,
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => apply({ type: 'type', text: e.target.value }),
    onBlur: () => apply({ type: 'blur' }),
    onKeyDown: (e: React.KeyboardEvent<HTMLInputElement>) => {
      if (e.key === 'Escape') {
        apply({ type: 'escape' });
        e.preventDefault();
      } else if (e.key === 'Enter') apply({ type: 'enter' });
    },
  } as const;
  return { draft, inputProps };
}

function FieldFrame({
  label,
  error,
  testId,
  children,
}: {
  label: string;
  error: string | null;
  testId?: string;
  children: React.ReactNode;
}) {
  return (
    <label className={`field${error ? ' invalid' : ''}`}>
      <span>{label}</span>
      {children}
      {error && (
        <span className="field-error" role="alert" data-testid={testId ? `${testId}-error` : undefined}>
          {error}
        </span>
      )}
    </label>
  );
}

export function NumberField({
  label,
  value,
  domain,
  onChange,
  testId,
  errorKey,
}: {
  label: string;
  /** undefined: the option is not set (an empty field). */
  value: number | null | undefined;
  domain: NumericDomain;
  /** Only called with null where the domain is nullable. */
  onChange: (v: number | null) => void;
  testId?: string;
  errorKey?: string;
}) {
  const { draft, inputProps } = useDraftField<number | null | undefined>(
    value,
    (t) => parseNumeric(t, domain, label),
    numericText,
    (v) => onChange(v ?? null), // a commit always comes from parsed text, never undefined
    Object.is,
    errorKey,
  );
  return (
    <FieldFrame label={label} error={draft.error} testId={testId}>
      <input {...inputProps} inputMode="decimal" className="num" data-testid={testId} />
    </FieldFrame>
  );
}

/** A comma-separated list of numbers (a batch shape, shard sizes), each item in `domain`. */
export function NumberListField({
  label,
  value,
  domain,
  onChange,
  testId,
  errorKey,
  allowEmpty,
  placeholder,
  maxItems,
}: {
  label: string;
  value: number[];
  domain: NumericDomain;
  onChange: (v: number[]) => void;
  testId?: string;
  errorKey?: string;
  allowEmpty?: boolean;
  placeholder?: string;
  maxItems?: number;
}) {
  const { draft, inputProps } = useDraftField<number[]>(
    value,
    (t) => parseNumericList(t, domain, label, { empty: allowEmpty, maxItems }),
    (v) => v.join(', '),
    onChange,
    (a, b) => a.length === b.length && a.every((x, i) => x === b[i]),
    errorKey,
  );
  return (
    <FieldFrame label={label} error={draft.error} testId={testId}>
      <input {...inputProps} placeholder={placeholder} data-testid={testId} />
    </FieldFrame>
  );
}
