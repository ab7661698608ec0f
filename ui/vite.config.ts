import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	// Tauri expects a fixed port in dev and must not be hidden behind vite's screen clearing.
	clearScreen: false,
	server: { port: 1420, strictPort: true },
	test: {
		include: ['src/**/*.test.ts'],
		environment: 'node',
		// contrast.test.ts reads app.css as text (vitest empties CSS imports unless included).
		css: { include: [/app\.css/] }
	}
});
