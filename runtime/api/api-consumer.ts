/**
 * The API port's consumer (docs/protocol.md §3): NOTIFY and VALIDATION go to the local
 * modules' bookkeeping, ANNOUNCE to the gossip handler. A connection that closed while its
 * frames waited in the queue leaves nothing behind: its NOTIFY and VALIDATION frames are
 * discarded (a subscription handled after the close would never end), while its ANNOUNCE
 * is still spread (§3.1: an ANNOUNCE whose sender disconnects right after it is processed).
 */
import type { Logger } from 'pino';
import { API_ACCEPTED_TYPES, MessageType } from '../../generated/index.js';
import type { Connection } from '../core/connection.js';
import type { FrameConsumer, Received } from '../core/frame-consumer.js';
import type { LocalItems } from '../core/gossip-handler.js';
import type { LocalModules } from './local-modules.js';

export class ApiConsumer<Context> implements FrameConsumer {
  constructor(
    private readonly modules: LocalModules<Context>,
    private readonly items: LocalItems,
    private readonly logger: Logger,
  ) {}

  refuseType(_connection: Connection, type: number): string | null {
    return API_ACCEPTED_TYPES.has(type as MessageType) ? null : `type ${type} is not allowed from an API client`;
  }

  opened(connection: Connection): void {
    this.logger.debug({ connection: connection.label }, 'API client connected');
  }

  closed(connection: Connection): void {
    this.modules.connectionClosed(connection);
  }

  consume({ connection, frame }: Received): void {
    switch (frame.type) {
      case MessageType.GOSSIP_ANNOUNCE:
        this.items.announceLocal(connection, frame.message);
        return;
      case MessageType.GOSSIP_NOTIFY:
        if (!connection.isClosed) this.modules.subscribe(connection, frame.message.dataType);
        return;
      case MessageType.GOSSIP_VALIDATION:
        if (!connection.isClosed) this.modules.validate(connection, frame.message.messageId, frame.message.valid);
        return;
      default:
        // refuseType admits only the types above (§3.1).
        connection.close(`type ${frame.type} not allowed on the API`);
    }
  }
}
