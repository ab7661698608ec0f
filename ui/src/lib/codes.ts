// Suggestions for code inputs (the backend validates; any valid code may be typed).
export const COUNTRIES = ['SE', 'DK', 'NO', 'FI', 'DE', 'IS', 'EE', 'GB'] as const;
export const CURRENCIES = ['SEK', 'DKK', 'NOK', 'EUR', 'ISK', 'GBP'] as const;
const COMMON_ZONES = [
	'Europe/Stockholm',
	'Europe/Copenhagen',
	'Europe/Oslo',
	'Europe/Helsinki',
	'Europe/Berlin',
	'Atlantic/Reykjavik',
	'Europe/London',
	'UTC'
];

/** IANA zones known to the webview, Nordic ones first. */
export function timeZones(): string[] {
	let all: string[] = [];
	try {
		all = Intl.supportedValuesOf('timeZone');
	} catch {
		all = [];
	}
	return [...COMMON_ZONES, ...all.filter((z) => !COMMON_ZONES.includes(z))];
}

export const BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;
export const PRINTER_COLUMNS = [32, 42, 48] as const;
