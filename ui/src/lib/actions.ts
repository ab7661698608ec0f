// Small Svelte actions for keyboard handling.
import type { Action } from 'svelte/action';

/** Calls `handler` when Escape is pressed while focus is inside the element. */
export const escape: Action<HTMLElement, () => void> = (node, handler) => {
	let current = handler;
	function onKey(e: KeyboardEvent) {
		if (e.key === 'Escape' && !e.defaultPrevented) {
			e.preventDefault();
			e.stopPropagation();
			current();
		}
	}
	node.addEventListener('keydown', onKey);
	return {
		update(h: () => void) {
			current = h;
		},
		destroy() {
			node.removeEventListener('keydown', onKey);
		}
	};
};

const FOCUSABLE = 'input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])';

/** Moves focus to the first form control inside the element when it appears. */
export const focusFirst: Action<HTMLElement> = (node) => {
	const el = node.querySelector<HTMLElement>(FOCUSABLE);
	queueMicrotask(() => el?.focus());
};
