package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Loopback is decided on parsed addresses, and a request's address never goes to DNS. */
class LoopbackTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "127.0.0.1               | true",
        "127.255.0.9             | true",
        "::1                     | true",
        "[::1]                   | true",
        "0:0:0:0:0:0:0:1         | true",
        "::ffff:127.0.0.1        | true",
        "[::ffff:7f00:1]         | true",
        "10.0.0.1                | false",
        "128.0.0.1               | false",
        "::ffff:10.0.0.1         | false",
        "::2                     | false",
        "127.example.com         | false",
        "127.0.0.1.nip.io        | false",
        "localhost               | false",
        "127.1                   | false",
        "127.0.0.256             | false",
        "[127.0.0.1]             | false",
        "::1%lo                  | false",
        "''                      | false"})
    void aRequestAddressIsLoopbackOnlyAsAnIpLiteral(String address, boolean loopback) {
        assertEquals(loopback, Loopback.literal(address), address);
    }

    @Test
    void namesAreNotLiterals() {
        assertNull(Loopback.parse("localhost"));
        assertNull(Loopback.parse("127.example.com"));
        assertNull(Loopback.parse(null));
    }

    @Test
    void aHostToListenOnMayBeANameAllOfWhoseAddressesAreLoopback() {
        assertEquals(true, Loopback.host("localhost"));
        assertEquals(true, Loopback.host("127.0.0.1"));
        assertEquals(true, Loopback.host("[::1]"));
        assertEquals(false, Loopback.host("0.0.0.0"));
        assertEquals(false, Loopback.host("::"));
    }
}
