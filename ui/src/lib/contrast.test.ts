// Guards the till's WCAG targets in app.css: control borders keep 3:1 contrast against
// every surface a control sits on (1.4.11), text keeps 4.5:1 (1.4.3), and buttons and
// inputs are at least 44 px tall (2.5.5).
import { describe, expect, it } from 'vitest';
import css from '../app.css?raw';

/** The custom properties of `:root` that hold a #rrggbb colour. */
function rootColours(): Map<string, string> {
	const root = /:root\s*{([^}]*)}/.exec(css)?.[1] ?? '';
	const colours = new Map<string, string>();
	for (const m of root.matchAll(/(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)) colours.set(m[1], m[2]);
	return colours;
}

/** The declarations of the first rule whose selector list is exactly `selector`. */
function rule(selector: string): string {
	const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s*');
	const body = new RegExp(`(^|})\\s*${escaped}\\s*{([^}]*)}`, 'm').exec(css)?.[2];
	if (body === undefined) throw new Error(`app.css has no rule for ${selector}`);
	return body;
}

function luminance(hex: string): number {
	const [r, g, b] = [1, 3, 5].map((i) => {
		const c = parseInt(hex.slice(i, i + 2), 16) / 255;
		return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
	});
	return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
	const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
	return (hi + 0.05) / (lo + 0.05);
}

const colours = rootColours();
const colour = (name: string): string => {
	const value = colours.get(name);
	if (!value) throw new Error(`app.css :root has no colour ${name}`);
	return value;
};
const SURFACES = ['--bg', '--surface', '--surface-2'];

/** The custom property a rule's `border` (or `border-color`) uses. */
function borderVar(body: string): string {
	const m = /border(?:-color)?:[^;]*var\((--[\w-]+)\)/.exec(body);
	if (!m) throw new Error(`no border colour variable in: ${body}`);
	return m[1];
}

describe('app.css', () => {
	it('computes contrast as WCAG does', () => {
		expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
		expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
	});

	it('gives buttons, inputs and selects borders of at least 3:1 against every surface', () => {
		const controls = [borderVar(rule('.btn')), borderVar(rule("input:not([type='checkbox']),\nselect"))];
		for (const v of controls) {
			for (const s of SURFACES) {
				expect(contrast(colour(v), colour(s)), `${v} on ${s}`).toBeGreaterThanOrEqual(3);
			}
		}
	});

	it('keeps text and muted text at 4.5:1 and the focus ring at 3:1', () => {
		for (const s of SURFACES) {
			expect(contrast(colour('--text'), colour(s)), `--text on ${s}`).toBeGreaterThanOrEqual(4.5);
			expect(contrast(colour('--muted'), colour(s)), `--muted on ${s}`).toBeGreaterThanOrEqual(4.5);
			expect(contrast(colour('--focus'), colour(s)), `--focus on ${s}`).toBeGreaterThanOrEqual(3);
		}
	});

	it('makes buttons and inputs at least 44 px tall', () => {
		const target = /--target:\s*(\d+)px/.exec(css)?.[1];
		expect(Number(target)).toBeGreaterThanOrEqual(44);
		for (const sel of ['.btn', "input:not([type='checkbox']),\nselect"]) {
			expect(rule(sel), sel).toMatch(/min-height:\s*var\(--target\)/);
		}
		expect(rule('.btn'), '.btn width').toMatch(/min-width:\s*var\(--target\)/);
	});
});
