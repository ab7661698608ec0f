import { describe, expect, it } from 'vitest';
import { setUiLanguage } from '$lib/i18n';
import { promptMessage, questionText } from './prompts';

describe('provider prompts in the user language', () => {
	it('says each kind of message in Swedish and English, amounts formatted', () => {
		const prompt = {
			message: 'The customer has paid 50.00 SEK of 169.00 SEK in the SWiP app',
			text: { key: 'swip_part_paid' as const, paid: '50.00', amount: '169.00', currency: 'SEK' },
			question: null,
			qr: 'S',
			statusLines: []
		};
		setUiLanguage('sv');
		expect(promptMessage(prompt)).toBe('Kunden har betalat 50,00 av 169,00 SEK i SWiP-appen');
		setUiLanguage('en');
		expect(promptMessage(prompt)).toBe('The customer has paid 50.00 of 169.00 SEK in the SWiP app');
		// Without a kind (an older backend, a provider's own reason) the English text stays.
		expect(promptMessage({ ...prompt, text: null })).toBe(prompt.message);
		expect(promptMessage(null)).toBeNull();
	});

	it('asks the terminal question in the user language with the terminal words after it', () => {
		setUiLanguage('sv');
		const question = { id: 'a-1', text: 'English', kind: 'signature' as const, detail: 'Compare with the card', answers: ['accepted', 'rejected'] };
		expect(questionText(question)).toBe('Terminalen ber om kortinnehavarens underskrift: har kunden skrivit under? (Compare with the card)');
		expect(questionText({ ...question, kind: null })).toBe('English');
		setUiLanguage('en');
	});
});
