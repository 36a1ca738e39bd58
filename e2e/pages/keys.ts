/** Typing as a person does: focus, select all, then one key at a time (never `fill`, which pastes). */
import type { Locator } from 'playwright-core';

export async function typeInto(field: Locator, text: string, opts: { enter?: boolean } = {}): Promise<void> {
  await field.click();
  await field.press('ControlOrMeta+A');
  if (text === '') await field.press('Backspace');
  else await field.pressSequentially(text);
  if (opts.enter) await field.press('Enter');
}
