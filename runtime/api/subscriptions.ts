/**
 * Which API connections subscribed to which data types (docs/protocol.md §3.1 NOTIFY): many
 * types per connection, many connections per type, gone when the connection closes.
 */
import type { Connection } from '../core/connection.js';

export class Subscriptions {
  private readonly byType = new Map<number, Set<Connection>>();
  private readonly byConnection = new Map<Connection, Set<number>>();

  subscribe(connection: Connection, dataType: number): void {
    let connections = this.byType.get(dataType);
    if (!connections) this.byType.set(dataType, (connections = new Set()));
    connections.add(connection);
    let types = this.byConnection.get(connection);
    if (!types) this.byConnection.set(connection, (types = new Set()));
    types.add(dataType);
  }

  /** Ends every subscription of a closed connection. */
  removeConnection(connection: Connection): void {
    const types = this.byConnection.get(connection);
    if (!types) return;
    this.byConnection.delete(connection);
    for (const dataType of types) {
      const connections = this.byType.get(dataType);
      connections?.delete(connection);
      if (connections?.size === 0) this.byType.delete(dataType);
    }
  }

  subscribers(dataType: number): ReadonlySet<Connection> {
    return this.byType.get(dataType) ?? EMPTY;
  }

  hasSubscribers(dataType: number): boolean {
    return this.byType.has(dataType);
  }

  get connectionCount(): number {
    return this.byConnection.size;
  }
}

const EMPTY: ReadonlySet<Connection> = new Set();
