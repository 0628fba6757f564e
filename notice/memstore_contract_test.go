package notice_test

import (
	"testing"

	"github.com/vetclinic/clinic/notice"
	"github.com/vetclinic/clinic/notice/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Store { return notice.NewMemoryStore() })
}
