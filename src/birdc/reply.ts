// A reply of BIRD's control-socket protocol, and the errors a reply can carry. BIRD answers every
// command with lines `NNNN-text` (opens a block), ` text` (continues the open block) and one final
// `NNNN text`; codes 8xxx are runtime errors and 9xxx parse errors of the command.
import { BirdctlError, type ErrorCode } from '../errors.ts';

/** The lines BIRD sent under one `NNNN-` opener, continuation lines included, without the prefixes. */
export interface ReplyBlock {
  code: number;
  lines: string[];
}

export interface Reply {
  /** the code of the final `NNNN text` line: 0 for a plain end, 13 for `show status`, ... */
  code: number;
  /** the text of the final line (empty for `0000 `) */
  text: string;
  blocks: ReplyBlock[];
}

/** A `+` line: BIRD's asynchronous messages (log lines after `echo`), never part of a reply. */
export interface AsyncLine {
  text: string;
}

/** An 8xxx or 9xxx reply: BIRD understood the connection but refused or failed the command. */
export class BirdReplyError extends BirdctlError {
  readonly replyCode: number;
  readonly replyText: string;
  readonly command: string;

  constructor(command: string, reply: Reply) {
    const kind = reply.code >= 9000 ? 'could not parse' : 'failed';
    // 8002 is BIRD's "configuration error" for `configure`: a rejected config, not a broken daemon.
    const code: ErrorCode = reply.code === 8002 ? 'BIRD_CONFIG_REJECTED' : 'BIRD_REPLY';
    super(code, `bird ${kind} ${JSON.stringify(command)}: ${String(reply.code).padStart(4, '0')} ${reply.text}`, {
      hint: reply.code >= 9000 ? 'the command is not valid BIRD 1.6 syntax' : 'see the reply text; `birdc6` prints the same',
    });
    this.name = 'BirdReplyError';
    this.replyCode = reply.code;
    this.replyText = reply.text;
    this.command = command;
  }
}

/** Replies that end with a code of 8000 and above are errors; everything below is a result. */
export function isErrorReply(reply: Reply): boolean {
  return reply.code >= 8000;
}

/** A reply whose shape a parser did not expect: an unknown code or a changed heading. */
export function unexpectedReply(what: string, detail: string): BirdctlError {
  return new BirdctlError('BIRD_REPLY', `unexpected reply to ${what}: ${detail}`, {
    hint: 'this BIRD prints something bird6-controller does not know; it expects BIRD 1.6',
  });
}
