// Package mqtttest runs a real Mosquitto broker on a loopback port for
// tests, and a subscriber that records what it receives.
package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Broker is a Mosquitto process listening on 127.0.0.1:Port.
type Broker struct {
	Port int
	t    testing.TB
	conf string
	cmd  *exec.Cmd
	gone chan struct{} // closed when cmd has exited
	log  *os.File
}

// Mosquitto returns the broker binary's path, or skips the test with the
// reason (make deps installs the Debian package mosquitto).
func Mosquitto(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"mosquitto", "/usr/sbin/mosquitto"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("mosquitto is not installed (Debian package mosquitto; `make deps` installs it): the MQTT tests need a real broker")
	return ""
}

// StartBroker starts Mosquitto on a free loopback port, anonymous access,
// no persistence; it is stopped at the end of the test.
func StartBroker(t testing.TB) *Broker {
	t.Helper()
	Mosquitto(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	b := &Broker{Port: port, t: t, conf: filepath.Join(dir, "mosquitto.conf")}
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port)
	if err := os.WriteFile(b.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if b.log, err = os.Create(filepath.Join(dir, "mosquitto.log")); err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(func() { b.Stop(); b.log.Close() })
	return b
}

// URL is the broker's tcp:// URL.
func (b *Broker) URL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", b.Port) }

// Start (re)starts the broker on its port and waits until it accepts
// connections.
func (b *Broker) Start() {
	b.t.Helper()
	if b.cmd != nil {
		b.t.Fatal("mqtttest: broker already running")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmd := exec.Command(Mosquitto(b.t), "-c", b.conf)
		cmd.Stdout, cmd.Stderr = b.log, b.log
		if err := cmd.Start(); err != nil {
			b.t.Fatalf("starting mosquitto: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				// The port may still be held by the broker just killed:
				// try again.
				time.Sleep(100 * time.Millisecond)
				goto retry
			default:
			}
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), 200*time.Millisecond); err == nil {
				c.Close()
				b.cmd, b.gone = cmd, exited
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
		b.t.Fatalf("mosquitto did not listen on port %d within 10 s; log:\n%s", b.Port, b.Log())
	retry:
		if time.Now().After(deadline) {
			b.t.Fatalf("mosquitto kept exiting; log:\n%s", b.Log())
		}
	}
}

// Stop kills the broker (SIGKILL: as abrupt as a crash or a pulled cable)
// and waits until it is gone.
func (b *Broker) Stop() {
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Kill()
	<-b.gone
	b.cmd = nil
}

// Log is the broker's log so far.
func (b *Broker) Log() string {
	data, _ := os.ReadFile(b.log.Name())
	return string(data)
}

// Message is one message received.
type Message struct {
	Topic    string
	Payload  []byte
	Retained bool
	QoS      byte
	At       time.Time
}

// Subscriber records the messages of a topic filter.
type Subscriber struct {
	client mqtt.Client
	mu     sync.Mutex
	msgs   []Message
}

// Subscribe connects a paho client to broker and subscribes to filter at
// QoS 1; it reconnects and resubscribes by itself.
func Subscribe(t testing.TB, broker, filter string) *Subscriber {
	t.Helper()
	s := &Subscriber{}
	opts := mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("mqtttest-%d", time.Now().UnixNano())).
		SetAutoReconnect(true).SetMaxReconnectInterval(500 * time.Millisecond).SetConnectRetry(true).
		SetConnectRetryInterval(200 * time.Millisecond).SetCleanSession(true).SetOrderMatters(true).
		SetOnConnectHandler(func(c mqtt.Client) {
			c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
				s.mu.Lock()
				s.msgs = append(s.msgs, Message{Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...), Retained: m.Retained(), QoS: m.Qos(), At: time.Now()})
				s.mu.Unlock()
			}).WaitTimeout(5 * time.Second)
		})
	s.client = mqtt.NewClient(opts)
	if t := s.client.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		panic(fmt.Sprintf("mqtttest: subscriber cannot connect to %s: %v", broker, t.Error()))
	}
	t.Cleanup(func() { s.client.Disconnect(100) })
	return s
}

// Messages returns the messages received so far whose topic ends in
// suffix ("" = all).
func (s *Subscriber) Messages(suffix string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if strings.HasSuffix(m.Topic, suffix) {
			out = append(out, m)
		}
	}
	return out
}

// WaitFor waits until a message whose topic ends in suffix satisfies ok,
// and returns it; false after within.
func (s *Subscriber) WaitFor(suffix string, within time.Duration, ok func(Message) bool) (Message, bool) {
	deadline := time.Now().Add(within)
	seen := 0
	for {
		msgs := s.Messages(suffix)
		for _, m := range msgs[seen:] {
			if ok(m) {
				return m, true
			}
		}
		seen = len(msgs)
		if time.Now().After(deadline) {
			return Message{}, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
