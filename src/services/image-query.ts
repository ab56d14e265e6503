// The shape of an image list query (filters, sort keys, comparisons), as the services take it. The HTTP
// surfaces build these from their own query languages (Glance's list parameters, Tencent's Filters); they
// import them from here, because the layers forbid them to import the repositories that define them.
export type { CompareOp, ImageFilters, SortDir, SortKey } from '../repositories/db/image.repository.js';
