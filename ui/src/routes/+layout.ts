// Single-page app inside Tauri: no server rendering, no prerendering.
export const ssr = false;
export const prerender = false;
