// The one function of `qrcode` the till uses. Declared here rather than taking
// @types/qrcode, which brings Node's types into a UI that must not lean on them.
declare module 'qrcode' {
	interface BitMatrix {
		/** Modules a side. */
		size: number;
		/** Whether the module at (row, col) is dark. */
		get(row: number, col: number): number | boolean;
	}
	interface QRCodeCreateOptions {
		errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
	}
	const QRCode: {
		create(text: string, options?: QRCodeCreateOptions): { modules: BitMatrix };
	};
	export default QRCode;
}
