// A typed call: the document's generated types check variables and result at compile time.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";

export class GraphQLRequestError extends Error {
  constructor(public readonly errors: { message: string; extensions?: { code?: string } }[]) {
    super(errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; "));
  }
}

export function plantgate(url: string, token: string) {
  return async function request<R, V>(document: TypedDocumentNode<R, V>, variables: V): Promise<R> {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as { data?: R; errors?: GraphQLRequestError["errors"] };
    if (body.errors?.length) throw new GraphQLRequestError(body.errors);
    return body.data as R;
  };
}
