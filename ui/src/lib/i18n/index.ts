export { t, fmtAmount, fmtDateTime, getLanguage, setUiLanguage } from './state.svelte';
export {
	translate,
	interpolate,
	isMessageKey,
	dictionaries,
	formatDateTime,
	type Lang,
	type MessageKey,
	type Params
} from './translate';
