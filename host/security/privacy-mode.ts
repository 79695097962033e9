// Privacy mode on one peer (security.privacy): which chain keys it needs and holds, the
// encryption of the transactions it submits, its part of every transaction's admission, and how
// its executor keeps confidential chaincodes. The peer refuses to start without what the mode
// needs, rather than run with validators that decide differently.
import type { Admission, ChaincodeRecords } from '../peer/executor.ts';
import type { Transaction } from '../protocol/messages.ts';
import type { Enrollment } from './ca-client.ts';
import type { ChainKeys } from './chain-key.ts';
import { ConfidentialChaincodes } from './confidential-chaincodes.ts';
import { admitConfidentiality, encryptTransaction } from './confidentiality.ts';
import type { TransactionCheck } from './transaction-security.ts';

export class PrivacyModeError extends Error {
  override name = 'PrivacyModeError';
}

/** Why a peer cannot start with these settings, or undefined if it can (checked before anything is opened). */
export function privacySettingsProblem(privacy: boolean, securityEnabled: boolean): string | undefined {
  if (privacy && !securityEnabled) return 'security.privacy is true but security.enabled is false: privacy mode needs security (membership services and signed transactions)';
  return undefined;
}

export interface PrivacyModeOptions {
  /** security.privacy */
  privacy: boolean;
  /** peer.validator.enabled: a validator must hold the chain private key. */
  validator: boolean;
  /** The peer's own enrollment (security.enrollID), whose answer carried the chain key. */
  enrollment: Enrollment | undefined;
}

export class PrivacyMode {
  readonly enabled: boolean;
  readonly #chain: ChainKeys | undefined;

  private constructor(enabled: boolean, chain: ChainKeys | undefined) {
    this.enabled = enabled;
    this.#chain = chain;
  }

  /** The peer's privacy mode; throws PrivacyModeError when privacy is on and the peer lacks a key it needs. */
  static forPeer(options: PrivacyModeOptions): PrivacyMode {
    const { enrollment } = options;
    const chain: ChainKeys | undefined = enrollment?.chainPublicKey ? { publicPoint: enrollment.chainPublicKey, privateKey: enrollment.chainPrivateKey } : undefined;
    if (!options.privacy) return new PrivacyMode(false, chain);
    if (!enrollment) throw new PrivacyModeError('security.privacy needs the peer\'s own enrollment (security.enrollID): its enrollment answer carries the chain key');
    if (!chain) {
      throw new PrivacyModeError(
        `security.privacy: the enrollment of ${enrollment.enrollId} kept by this peer carries no chain key (it predates privacy mode); start the peer on a fresh data directory with an identity not yet enrolled`,
      );
    }
    if (options.validator && !chain.privateKey) {
      throw new PrivacyModeError(`security.privacy: validator ${enrollment.enrollId} holds no chain private key: membership services give it only to enrollments with the validator role (4 in eca.users)`);
    }
    return new PrivacyMode(true, chain);
  }

  /** With privacy: what a transaction this peer submits goes through before it is signed. */
  get encrypt(): ((transaction: Transaction) => Transaction) | undefined {
    const chain = this.#chain;
    return this.enabled && chain ? (transaction) => encryptTransaction(transaction, chain.publicPoint) : undefined;
  }

  /** The executor's registry records: confidential chaincodes open on a peer holding the chain private key. */
  chaincodeRecords(): ChaincodeRecords {
    return new ConfidentialChaincodes(this.#chain?.privateKey);
  }

  /** Admission after the security checks: privacy's verdict, and the transaction to run (decrypted). */
  admit(transaction: Transaction, checked: TransactionCheck): Admission {
    if (!checked.ok) return checked;
    return admitConfidentiality(transaction, checked.caller, this.enabled, this.#chain?.privateKey);
  }
}
