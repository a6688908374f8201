// The consume peer: the Java client of the distribution (the one pulsar-perf uses), doing
// per message exactly what bench/client does with miso's client: receive, read the payload's
// length (the bytes themselves are not read), acknowledge without waiting. Times are taken
// in-process, so JVM start-up is not counted, as Node's is not on miso's side.
//
// Usage: java -cp <dir>:<lib>/* JavaConsumer SERVICE_URL TOPIC SUBSCRIPTION N
// Prints one JSON line; exits 2 when fewer than N messages arrived.
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

public class JavaConsumer {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    String topic = args[1];
    String subscription = args[2];
    long n = Long.parseLong(args[3]);
    PulsarClient client = PulsarClient.builder().serviceUrl(url).build();
    long t0 = System.nanoTime();
    Consumer<byte[]> consumer = client.newConsumer()
        .topic(topic)
        .subscriptionName(subscription)
        .subscriptionType(SubscriptionType.Exclusive)
        .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
        .receiverQueueSize(1000)
        .subscribe();
    long subscribed = System.nanoTime();
    long first = 0;
    long got = 0;
    long bytes = 0;
    while (got < n) {
      Message<byte[]> m = consumer.receive(30, TimeUnit.SECONDS);
      if (m == null) break;
      if (got == 0) first = System.nanoTime();
      bytes += m.size();
      consumer.acknowledgeAsync(m);
      got++;
    }
    long last = System.nanoTime();
    consumer.close();
    client.close();
    System.out.printf("{\"received\":%d,\"bytes\":%d,\"subscribeMs\":%.3f,\"firstToLastMs\":%.3f,\"subscribeToLastMs\":%.3f}%n",
        got, bytes, (subscribed - t0) / 1e6, (last - first) / 1e6, (last - subscribed) / 1e6);
    System.exit(got == n ? 0 : 2);
  }
}
