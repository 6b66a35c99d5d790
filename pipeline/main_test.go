package pipeline_test

import (
	"os"
	"testing"

	"github.com/ferlive/ferlive/testkit/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
