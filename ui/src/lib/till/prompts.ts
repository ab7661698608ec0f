// What a pending payment asks the cashier, in the user's language. The backend names each
// message by kind (`PromptText`) and each terminal question by kind (`QuestionKind`); its
// English text is the fallback for anything the UI does not know (an older backend, a
// provider's own reason).
import type { CashierPrompt, CashierQuestion, QuestionKind } from '$lib/api';
import { t, fmtAmount, type MessageKey } from '$lib/i18n';

const QUESTIONS: Record<QuestionKind, MessageKey> = {
	signature: 'question.signature',
	identity_check: 'question.identity_check',
	confirm_amount: 'question.confirm_amount',
	other: 'question.other'
};

/** The prompt's message, or null when it has none. */
export function promptMessage(prompt: CashierPrompt | null | undefined): string | null {
	const text = prompt?.text;
	if (!text) return prompt?.message ?? null;
	switch (text.key) {
		case 'swip_waiting':
			return t('prompt.swipWaiting');
		case 'swip_part_paid':
			return t('prompt.swipPartPaid', { paid: fmtAmount(text.paid), amount: fmtAmount(text.amount), currency: text.currency });
		case 'swip_app_error':
			return t('prompt.swipAppError', { error: text.error });
		case 'terminal_waiting':
			return t('prompt.terminalWaiting', { amount: fmtAmount(text.amount), currency: text.currency });
		case 'terminal_other_payment':
			return t('prompt.terminalOtherPayment');
		case 'asking_again':
			return t('prompt.askingAgain', { detail: text.detail });
		default:
			return prompt?.message ?? null;
	}
}

/** The question, with the terminal's own words after it when it sent any. */
export function questionText(question: CashierQuestion): string {
	if (!question.kind) return question.text;
	const asked = t(QUESTIONS[question.kind]);
	return question.detail ? `${asked} (${question.detail})` : asked;
}
