// Every work order page by page, one read by id, one create: PLANTGATE_URL, PLANTGATE_TOKEN from the environment.
import { CreateWorkOrderDocument, WorkOrderByIdDocument, WorkOrderPageDocument } from "./generated/graphql";
import type { WorkOrderPageQuery } from "./generated/graphql";
import { plantgate } from "./plantgate";

async function main(): Promise<void> {
  const url = process.env.PLANTGATE_URL ?? "http://127.0.0.1:8000/graphql";
  const request = plantgate(url, process.env.PLANTGATE_TOKEN ?? "");
  const numbers: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const answer: WorkOrderPageQuery = await request(WorkOrderPageDocument, { first: 50, after });
    const page = answer.workOrders;
    if (!page) throw new Error("workOrders answered null");
    numbers.push(...page.edges.map((edge) => edge.node.number ?? edge.node.remoteId ?? edge.node.id));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor ?? null : null;
    pages += 1;
  } while (after);
  const first = (await request(WorkOrderPageDocument, { first: 1 })).workOrders?.edges[0]?.node;
  const byId = first ? (await request(WorkOrderByIdDocument, { id: first.id })).workOrder : null;
  const created = await request(CreateWorkOrderDocument, {
    input: { title: "Replace drive belt", priority: "HIGH" },
    idempotencyKey: process.env.PLANTGATE_IDEMPOTENCY_KEY ?? null,
  });
  console.log(JSON.stringify({ pages, numbers, byId, created: created.createWorkOrder }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
