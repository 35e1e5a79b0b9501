/*
 * sales.h - the cash register's sales: which order pays which of the register's sale ids.
 *
 * A row is written only by journal_save, in the transaction that creates the order
 * (journal_set_sale), so an order found here was created for that sale and no other; a sale
 * id not found was never paid by this terminal (nothing was sent for it). Reads only; each
 * call is one short query on the journal's handle (the event loop's thread).
 */
#ifndef POSTERM_SALES_H
#define POSTERM_SALES_H

#include <stddef.h>

#include "journal.h"

/* The order created for sale_id into order_no (ORDER_NO_MAX + 1 bytes); JOURNAL_NOT_FOUND
 * when the sale is unknown (or sale_id is empty). */
enum journal_status sale_order(struct journal *j, const char *sale_id, char *order_no);

/* The sale an order was created for into sale_id (JOURNAL_SALE_ID_MAX + 1 bytes);
 * JOURNAL_NOT_FOUND for an order the cashier started. */
enum journal_status sale_of_order(struct journal *j, const char *order_no, char *sale_id);

#endif
