/**
 * libp2p's helper packages call Promise.withResolvers, which Node has only from 22 on; the
 * daemon's floor is Node 20. Imported first by every entry point of this package.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promise = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof promise.withResolvers !== 'function') {
  promise.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const created = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: created, resolve, reject };
  };
}
