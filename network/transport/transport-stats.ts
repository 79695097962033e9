// What the transport counts (for tests, logs and a future /metrics) and the logger it writes to.
// Every dropped message increments exactly one `dropped` counter, named for why it was dropped
// (a refused frame counts once; a refused bundle counts the messages it held when they are known).

export interface TransportStats {
  /** Frames queued to / accepted from a stream (a bundle is one frame). */
  framesSent: number;
  framesReceived: number;
  /** Plain messages posted (send, broadcast: one per recipient) and delivered to a handler. */
  messagesSent: number;
  messagesReceived: number;
  requestsSent: number;
  requestsAnswered: number;
  /** Requests whose handler threw (the caller got a remote error). */
  requestsFailed: number;
  /** Requests refused unanswered: no handler, or too many at once. */
  requestsRefused: number;
  /** Message handlers that threw (the message was delivered, the error logged). */
  handlerErrors: number;
  /** Connections refused because the remote key is not a member's. */
  refusedConnections: number;
  /** Members hung up on because their credential failed the admission check. */
  refusedAdmissions: number;
  dials: number;
  dialFailures: number;
  dropped: {
    /** Inbound: a frame or bundle that does not parse, or an unknown channel/bad payload type outbound. */
    malformed: number;
    /** Inbound: the frame names a sender other than the connection's authenticated member. */
    wrongSender: number;
    /** Inbound: a frame over the channel's bound (skipped unread). */
    oversizedInbound: number;
    /** Outbound: a payload over the channel's bound. */
    oversizedOutbound: number;
    /** Outbound: the peer's queue is full (slow or stuck peer). */
    queueFull: number;
    /** Outbound: not connected to the peer. */
    unreachable: number;
    /** Outbound: the peer is not a member, or is this peer. */
    unknownPeer: number;
    /** Inbound: a frame on a public channel from a member not (yet) admitted. */
    notAdmitted: number;
    /** Inbound: no handler registered for the channel. */
    noHandler: number;
    /** Inbound: an answer to a request that is not outstanding (late after a timeout, or forged). */
    unexpectedResponse: number;
    /** Outbound: queued messages lost when their stream closed. */
    linkClosed: number;
    /** Outbound: sent while the transport was not running. */
    notRunning: number;
  };
}

export function newStats(): TransportStats {
  return {
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    requestsSent: 0,
    requestsAnswered: 0,
    requestsFailed: 0,
    requestsRefused: 0,
    handlerErrors: 0,
    refusedConnections: 0,
    refusedAdmissions: 0,
    dials: 0,
    dialFailures: 0,
    dropped: {
      malformed: 0,
      wrongSender: 0,
      oversizedInbound: 0,
      oversizedOutbound: 0,
      queueFull: 0,
      unreachable: 0,
      unknownPeer: 0,
      notAdmitted: 0,
      noHandler: 0,
      unexpectedResponse: 0,
      linkClosed: 0,
      notRunning: 0,
    },
  };
}

/** The subset of the peer's Logger (host/logging.ts) the transport uses; that Logger fits it. */
export interface TransportLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warning(message: string, fields?: Record<string, unknown>): void;
}
