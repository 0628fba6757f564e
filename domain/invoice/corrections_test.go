package invoice

import (
	"testing"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain"
	"github.com/vetclinic/clinic/domain/domaintest"
	"github.com/vetclinic/clinic/domain/money"
	"github.com/vetclinic/clinic/domain/reservation"
)

var disc1 = uuid.MustParse("00000000-0000-0000-0000-0000000000d1")

func discounted(amount int64) DiscountGranted {
	b := bill(0, 0, StatusOpen)
	b.Total, b.Balance, b.Discounted = money.KRW(30000-amount), money.KRW(30000-amount), money.KRW(amount)
	return DiscountGranted{Bill: b, Pet: coco, DiscountID: disc1, Amount: money.KRW(amount), Reason: "loyal customer"}
}

func TestCorrections(t *testing.T) {
	t.Parallel()
	voided := Voided{Bill: bill(0, 0, StatusVoided), Pet: coco, Reason: "wrong lines"}
	newCust := reservation.Customer{Name: "Jackson", Phone: "010-9999-0000"}
	changed := bill(0, 0, StatusOpen)
	changed.Customer = newCust
	bean := reservation.Pet{Name: "Bean", Species: "cat"}
	petChanged, discountedAfterPet := bill(0, 0, StatusOpen), discounted(5000).Bill
	tests := []domaintest.Case[*Invoice]{
		{
			Name:  "discount",
			Given: []domain.Event{issued()},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Discount(disc1, money.KRW(5000), "loyal customer", now, "clerk")
			},
			Then: []domain.Event{discounted(5000)},
		},
		{
			Name:  "a repeated discount is granted once",
			Given: []domain.Event{issued(), discounted(5000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Discount(disc1, money.KRW(5000), "loyal customer", now, "clerk")
			},
		},
		{
			Name:  "discount beyond the balance",
			Given: []domain.Event{issued(), paid(pay1, 20000, 20000)},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Discount(disc1, money.KRW(15000), "", now, "clerk")
			},
			WantErr: ErrDiscountTooLarge,
		},
		{
			Name:    "discount of nothing",
			Given:   []domain.Event{issued()},
			When:    func(i *Invoice) ([]domain.Event, error) { return i.Discount(disc1, money.KRW(0), "", now, "clerk") },
			WantErr: domain.ErrValidation,
		},
		{
			Name:  "void an unpaid invoice",
			Given: []domain.Event{issued()},
			When:  func(i *Invoice) ([]domain.Event, error) { return i.Void("wrong lines", now, "clerk") },
			Then:  []domain.Event{voided},
		},
		{
			Name:  "void twice changes nothing",
			Given: []domain.Event{issued(), voided},
			When:  func(i *Invoice) ([]domain.Event, error) { return i.Void("wrong lines", now, "clerk") },
		},
		{
			Name:    "void a paid invoice",
			Given:   []domain.Event{issued(), paid(pay1, 10000, 10000)},
			When:    func(i *Invoice) ([]domain.Event, error) { return i.Void("wrong lines", now, "clerk") },
			WantErr: ErrHasPayments,
		},
		{
			Name:    "void without a reason",
			Given:   []domain.Event{issued()},
			When:    func(i *Invoice) ([]domain.Event, error) { return i.Void("", now, "clerk") },
			WantErr: domain.ErrValidation,
		},
		{
			Name:    "pay a void invoice",
			Given:   []domain.Event{issued(), voided},
			When:    func(i *Invoice) ([]domain.Event, error) { return i.Pay(pay1, money.KRW(100), MethodCash, now, "clerk") },
			WantErr: ErrVoided,
		},
		{
			Name:    "discount a void invoice",
			Given:   []domain.Event{issued(), voided},
			When:    func(i *Invoice) ([]domain.Event, error) { return i.Discount(disc1, money.KRW(100), "", now, "clerk") },
			WantErr: ErrVoided,
		},
		{
			Name:  "the customer follows the reservation",
			Given: []domain.Event{issued()},
			When:  func(i *Invoice) ([]domain.Event, error) { return i.ChangeCustomer(newCust, coco, now, "clerk") },
			Then:  []domain.Event{CustomerChanged{Bill: changed, OldCustomer: cust, Pet: coco, OldPet: coco}},
		},
		{
			Name:  "the pet follows the reservation",
			Given: []domain.Event{issued()},
			When:  func(i *Invoice) ([]domain.Event, error) { return i.ChangeCustomer(cust, bean, now, "clerk") },
			Then:  []domain.Event{CustomerChanged{Bill: petChanged, OldCustomer: cust, Pet: bean, OldPet: coco}},
		},
		{
			Name:  "a discount after a pet correction names the corrected pet",
			Given: []domain.Event{issued(), CustomerChanged{Bill: petChanged, OldCustomer: cust, Pet: bean, OldPet: coco}},
			When: func(i *Invoice) ([]domain.Event, error) {
				return i.Discount(disc1, money.KRW(5000), "loyal customer", now, "clerk")
			},
			Then: []domain.Event{DiscountGranted{Bill: discountedAfterPet, Pet: bean, DiscountID: disc1, Amount: money.KRW(5000), Reason: "loyal customer"}},
		},
		{
			Name:  "the same customer and pet change nothing",
			Given: []domain.Event{issued()},
			When:  func(i *Invoice) ([]domain.Event, error) { return i.ChangeCustomer(cust, coco, now, "clerk") },
		},
	}
	domaintest.Run(t, func() *Invoice { return New(invID) }, tests)
	domaintest.RoundTrip(t, Decode, discounted(5000), voided, CustomerChanged{Bill: changed, OldCustomer: cust, Pet: coco, OldPet: coco})
}
