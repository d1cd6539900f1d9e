package shopifyfake

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// SchemaVersion is the Admin API version schemaSDL was taken from.
const SchemaVersion = "2026-10"

// schemaSDL is the part of the GraphQL Admin API schema (version
// SchemaVersion) that roasd and its tests may use: the types, fields,
// arguments and argument types, as documented in Shopify's GraphQL Admin
// API reference (https://shopify.dev/docs/api/admin-graphql/2026-10 —
// QueryRoot.shop/orders/node/nodes/currentBulkOperation/ordersCount, Count, Order, MoneyBag,
// CustomerJourneySummary, CustomerVisit, UTMParameters, Refund,
// BulkOperation, Mutation.bulkOperationRunQuery). Fields Shopify removed
// (Order.landingSite, Order.referringSite, Order.totalPrice, ...) are not
// here, so a query naming them fails as it does against the real API. Add
// a field only after checking it exists in the pinned version.
const schemaSDL = `
schema { query: QueryRoot mutation: Mutation }

scalar DateTime
scalar Decimal
scalar URL
scalar UnsignedInt64

enum CurrencyCode { AED AUD BRL CAD CHF CNY CZK DKK EUR GBP HKD INR JPY KRW MXN NOK NZD PLN SEK SGD USD }
enum OrderSortKeys { CREATED_AT CUSTOMER_NAME DESTINATION FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER PO_NUMBER PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT }
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
enum BulkOperationType { MUTATION QUERY }
enum BulkOperationUserErrorCode { INVALID LIMIT_REACHED OPERATION_IN_PROGRESS }

interface Node { id: ID! }

type QueryRoot {
  shop: Shop!
  orders(first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
         sortKey: OrderSortKeys = PROCESSED_AT, query: String, savedSearchId: ID): OrderConnection!
  order(id: ID!): Order
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
  ordersCount(query: String, savedSearchId: ID, limit: Int = 10000): Count
}

enum CountPrecision { AT_LEAST EXACT }

type Count {
  count: Int!
  precision: CountPrecision!
}

type Mutation {
  bulkOperationRunQuery(query: String!, groupObjects: Boolean = false): BulkOperationRunQueryPayload
}

type Shop implements Node {
  id: ID!
  name: String!
  email: String!
  myshopifyDomain: String!
  currencyCode: CurrencyCode!
  ianaTimezone: String!
  timezoneAbbreviation: String!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type OrderConnection {
  edges: [OrderEdge!]!
  nodes: [Order!]!
  pageInfo: PageInfo!
}

type OrderEdge {
  cursor: String!
  node: Order!
}

type Order implements Node {
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  processedAt: DateTime!
  cancelledAt: DateTime
  currencyCode: CurrencyCode!
  presentmentCurrencyCode: CurrencyCode!
  test: Boolean!
  sourceName: String
  discountCode: String
  discountCodes: [String!]!
  subtotalPriceSet: MoneyBag
  totalDiscountsSet: MoneyBag
  totalPriceSet: MoneyBag!
  totalTaxSet: MoneyBag
  totalShippingPriceSet: MoneyBag!
  totalRefundedSet: MoneyBag!
  totalRefundedShippingSet: MoneyBag!
  currentSubtotalPriceSet: MoneyBag!
  currentTotalPriceSet: MoneyBag!
  refundDiscrepancySet: MoneyBag!
  refunds(first: Int): [Refund!]!
  customerJourneySummary: CustomerJourneySummary
}

type MoneyBag {
  shopMoney: MoneyV2!
  presentmentMoney: MoneyV2!
}

type MoneyV2 {
  amount: Decimal!
  currencyCode: CurrencyCode!
}

type Refund implements Node {
  id: ID!
  createdAt: DateTime
  updatedAt: DateTime!
  note: String
  totalRefundedSet: MoneyBag!
}

type CustomerJourneySummary {
  ready: Boolean!
  customerOrderIndex: Int
  daysToConversion: Int
  firstVisit: CustomerVisit
  lastVisit: CustomerVisit
}

type CustomerVisit implements Node {
  id: ID!
  landingPage: URL
  landingPageHtml: String
  occurredAt: DateTime!
  referralCode: String
  referrerUrl: URL
  source: String!
  sourceDescription: String
  sourceType: String
  utmParameters: UTMParameters
}

type UTMParameters {
  campaign: String
  content: String
  medium: String
  source: String
  term: String
}

type BulkOperation implements Node {
  id: ID!
  status: BulkOperationStatus!
  errorCode: BulkOperationErrorCode
  createdAt: DateTime!
  completedAt: DateTime
  objectCount: UnsignedInt64!
  rootObjectCount: UnsignedInt64!
  fileSize: UnsignedInt64
  url: URL
  partialDataUrl: URL
  query: String!
  type: BulkOperationType!
}

type BulkOperationRunQueryPayload {
  bulkOperation: BulkOperation
  userErrors: [BulkOperationUserError!]!
}

type BulkOperationUserError {
  field: [String!]
  message: String!
  code: BulkOperationUserErrorCode
}
`

// schema is schemaSDL loaded once; a fake that cannot load its own schema
// is a programming error.
var schema = func() *ast.Schema {
	s, err := validator.LoadSchema(validator.Prelude, &ast.Source{Name: "admin-" + SchemaVersion + ".graphql", Input: schemaSDL})
	if err != nil {
		panic(fmt.Sprintf("shopifyfake: schema %s: %v", SchemaVersion, err))
	}
	return s
}()

var (
	undefinedFieldRE = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)
	unknownArgRE     = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "[^".]+\.([^"]+)"`)
	unknownTypeRE    = regexp.MustCompile(`^Unknown type "([^"]+)"`)
	missingArgRE     = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "[^"]+" is required`)
)

// checkQuery validates query against the pinned schema as the Admin API
// does before running anything. It returns nil for a valid query, else
// the GraphQL errors in Shopify's shape: message, locations, path (from
// the operation, e.g. ["query Orders","orders","nodes","x"]) and
// extensions.code (undefinedField, argumentNotAccepted, undefinedType,
// missingRequiredArguments, parseError, ...).
func checkQuery(query string) []map[string]any {
	doc, perr := parser.ParseQuery(&ast.Source{Input: query})
	if perr != nil {
		e := map[string]any{"message": perr.Error(), "extensions": map[string]any{"code": "parseError"}}
		if ge, ok := perr.(*gqlerror.Error); ok {
			e["message"] = ge.Message
			e["locations"] = locs(ge.Locations)
		}
		return []map[string]any{e}
	}
	errs := validator.Validate(schema, doc)
	if len(errs) == 0 {
		return nil
	}
	out := make([]map[string]any, 0, len(errs))
	for _, ge := range errs {
		msg, ext := ge.Message, map[string]any{"code": ge.Rule}
		if m := undefinedFieldRE.FindStringSubmatch(ge.Message); m != nil {
			msg = fmt.Sprintf("Field '%s' doesn't exist on type '%s'", m[1], m[2])
			ext = map[string]any{"code": "undefinedField", "typeName": m[2], "fieldName": m[1]}
		} else if m := unknownArgRE.FindStringSubmatch(ge.Message); m != nil {
			msg = fmt.Sprintf("Field '%s' doesn't accept argument '%s'", m[2], m[1])
			ext = map[string]any{"code": "argumentNotAccepted", "name": m[2], "typeName": "Field", "argumentName": m[1]}
		} else if m := unknownTypeRE.FindStringSubmatch(ge.Message); m != nil {
			msg = fmt.Sprintf("No such type %s, so it can't be a fragment condition", m[1])
			ext = map[string]any{"code": "undefinedType", "typeName": m[1]}
		} else if m := missingArgRE.FindStringSubmatch(ge.Message); m != nil {
			msg = fmt.Sprintf("Field '%s' is missing required arguments: %s", m[1], m[2])
			ext = map[string]any{"code": "missingRequiredArguments", "className": "Field", "name": m[1], "arguments": m[2]}
		}
		e := map[string]any{"message": msg, "locations": locs(ge.Locations), "extensions": ext}
		if len(ge.Locations) > 0 {
			if p := pathAt(doc, ge.Locations[0]); p != nil {
				if a, ok := ext["argumentName"].(string); ok && p[len(p)-1] != a {
					p = append(p, a) // Shopify's path ends at the argument
				}
				e["path"] = p
			}
		}
		out = append(out, e)
	}
	return out
}

func locs(ls []gqlerror.Location) []map[string]int {
	out := make([]map[string]int, 0, len(ls))
	for _, l := range ls {
		out = append(out, map[string]int{"line": l.Line, "column": l.Column})
	}
	return out
}

// pathAt is the path Shopify reports for the field or argument at loc:
// the operation ("query Orders", or "query" when unnamed) then the field
// names leading to it.
func pathAt(doc *ast.QueryDocument, loc gqlerror.Location) []string {
	at := func(p *ast.Position) bool { return p != nil && p.Line == loc.Line && p.Column == loc.Column }
	var walk func(set ast.SelectionSet, path []string) []string
	walk = func(set ast.SelectionSet, path []string) []string {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				p := append(path[:len(path):len(path)], s.Name)
				if at(s.Position) {
					return p
				}
				for _, a := range s.Arguments {
					if at(a.Position) {
						return append(p, a.Name)
					}
				}
				if r := walk(s.SelectionSet, p); r != nil {
					return r
				}
			case *ast.InlineFragment:
				p := append(path[:len(path):len(path)], "... on "+s.TypeCondition)
				if at(s.Position) {
					return p
				}
				if r := walk(s.SelectionSet, p); r != nil {
					return r
				}
			}
		}
		return nil
	}
	for _, op := range doc.Operations {
		root := string(op.Operation)
		if op.Name != "" {
			root += " " + op.Name
		}
		if r := walk(op.SelectionSet, []string{root}); r != nil {
			return r
		}
	}
	return nil
}

// queryErrorMessage is the first error's message, for a bulk query's
// userErrors ("Invalid bulk query: Field 'x' doesn't exist on type
// 'Order'").
func queryErrorMessage(errs []map[string]any) string {
	if len(errs) == 0 {
		return ""
	}
	m, _ := errs[0]["message"].(string)
	return strings.TrimSpace(m)
}
