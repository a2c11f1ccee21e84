// PLACEHOLDER — replaced by the query API work: the wire types of /api/*.
export {}
