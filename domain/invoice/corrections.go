package invoice

// Corrections of a bill are events: a discount lowers what is owed, a void
// cancels an unpaid bill (its record is then reopened and billed again
// under a new invoice), and a customer change follows a correction of the
// visit's contact.

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

// open returns nil when the invoice takes money movements, else why not.
func (i *Invoice) open() error {
	switch i.bill.Status {
	case "":
		return ErrNotFound
	case StatusVoided:
		return ErrVoided
	}
	return nil
}

// Discount lowers what is owed by amount, under discountID, up to the
// balance (money already paid is given back by a refund, not a discount).
// Recording the same discountID again changes nothing. Errors:
// ErrNotFound, ErrVoided, ErrDiscountTooLarge, a *domain.ValidationError.
func (i *Invoice) Discount(discountID uuid.UUID, amount money.Money, reason string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.Check(amount.Amount > 0, "amount", "must be positive")
	v.Check(amount.Currency == i.bill.Total.Currency || !i.Issued(), "currency", "must be the invoice's currency")
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := i.open(); err != nil {
		return nil, err
	}
	if i.seen[discountID] {
		return nil, nil
	}
	if amount.Amount > i.bill.Balance.Amount {
		return nil, fmt.Errorf("%v against a balance of %v: %w", amount, i.bill.Balance, ErrDiscountTooLarge)
	}
	b := i.bill
	b.Discounted = zeroIfUnset(b.Discounted, b.Total.Currency)
	b.Total, _ = b.Total.Sub(amount)
	b.Balance, _ = b.Balance.Sub(amount)
	b.Discounted, _ = b.Discounted.Add(amount)
	b.Status, b.At, b.By = status(b), at.UTC(), by
	return []domain.Event{DiscountGranted{Bill: b, Pet: i.pet, DiscountID: discountID, Amount: amount, Reason: reason}}, nil
}

// Void cancels an invoice nothing is paid on (what was paid must be
// refunded first); its record is then reopened and billed again. Voiding a
// void invoice changes nothing. Errors: ErrNotFound, ErrHasPayments, a
// *domain.ValidationError for the reason.
func (i *Invoice) Void(reason string, at time.Time, by string) ([]domain.Event, error) {
	v := domain.Validation()
	v.Check(reason != "", "reason", "required: why the bill is void")
	v.CheckReason(reason)
	if err := v.Err(); err != nil {
		return nil, err
	}
	switch i.bill.Status {
	case "":
		return nil, ErrNotFound
	case StatusVoided:
		return nil, nil
	}
	if i.bill.Paid.Amount != 0 {
		return nil, fmt.Errorf("%v paid: %w", i.bill.Paid, ErrHasPayments)
	}
	b := i.bill
	b.Status, b.At, b.By = StatusVoided, at.UTC(), by
	return []domain.Event{Voided{Bill: b, Pet: i.pet, Reason: reason}}, nil
}

// ChangeCustomer follows a correction of the visit's customer or pet on
// its reservation, in any status (the bill's history stays). The same
// customer and pet again change nothing. Errors: ErrNotFound.
func (i *Invoice) ChangeCustomer(c reservation.Customer, p reservation.Pet, at time.Time, by string) ([]domain.Event, error) {
	if !i.Issued() {
		return nil, ErrNotFound
	}
	if i.bill.Customer == c && i.pet == p {
		return nil, nil
	}
	b := i.bill
	old, oldPet := b.Customer, i.pet
	b.Customer, b.At, b.By = c, at.UTC(), by
	return []domain.Event{CustomerChanged{Bill: b, OldCustomer: old, Pet: p, OldPet: oldPet}}, nil
}

// zeroIfUnset is m, or zero money of currency when m has none (a bill
// stored before discounts existed has no "discounted").
func zeroIfUnset(m money.Money, currency string) money.Money {
	if m.Currency == "" {
		return money.Zero(currency)
	}
	return m
}
