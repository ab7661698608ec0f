import { describe, expect, it } from 'vitest';
import { FormEditor } from '$lib/editor.svelte';
import { FieldError } from '$lib/forms';

type Values = { name: string };
const submitEvent = () => ({ preventDefault() {} }) as unknown as SubmitEvent;

describe('FormEditor', () => {
	it('opens on an item with fresh values and no stale error', () => {
		const editor = new FormEditor<{ id: number }, Values>({ name: '' }, 'x-new');
		editor.error = 'old';
		editor.field = 'name';
		editor.open({ id: 7 }, { name: 'Malmö C' });
		expect(editor.isOpen).toBe(true);
		expect(editor.editing).toEqual({ id: 7 });
		expect(editor.values.name).toBe('Malmö C');
		expect(editor.error).toBeNull();
		expect(editor.invalid('name')).toBeUndefined();
	});

	it('closes after a successful save', async () => {
		const editor = new FormEditor<null, Values>({ name: '' }, 'x-new');
		editor.open(null, { name: 'Lund' });
		let saved = '';
		const ok = await editor.submit(submitEvent(), async () => {
			saved = editor.values.name;
		});
		expect(ok).toBe(true);
		expect(saved).toBe('Lund');
		expect(editor.isOpen).toBe(false);
		expect(editor.saving).toBe(false);
	});

	it('keeps the form open with the error next to its field when saving fails', async () => {
		const editor = new FormEditor<null, Values>({ name: '' }, 'x-new');
		editor.open(null, { name: '' });
		const ok = await editor.submit(submitEvent(), async () => {
			throw new FieldError('name', 'POS name must not be empty');
		});
		expect(ok).toBe(false);
		expect(editor.isOpen).toBe(true);
		expect(editor.error).toBe('POS name must not be empty');
		expect(editor.invalid('name')).toBe('true');
		expect(editor.invalid('storeId')).toBeUndefined();
	});

	it('ignores a second submit while the first is saving', async () => {
		const editor = new FormEditor<null, Values>({ name: '' }, 'x-new');
		editor.open(null, { name: 'Lund' });
		let calls = 0;
		let release: () => void = () => {};
		const first = editor.submit(submitEvent(), () => {
			calls += 1;
			return new Promise<void>((resolve) => (release = resolve));
		});
		const second = await editor.submit(submitEvent(), async () => {
			calls += 1;
		});
		expect(second).toBe(false);
		release();
		expect(await first).toBe(true);
		expect(calls).toBe(1);
	});
});
