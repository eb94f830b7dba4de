package io.jublk.daemon;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Which unit a server belongs to decides who starts its successor on 'ublk restart'. */
class SystemdUnitTest {
    @Test
    void theServiceIsTheLastComponentOfTheCgroupV2Path() {
        assertEquals("jublk@t.service",
                SystemdUnit.fromCgroup(List.of("0::/system.slice/system-jublk.slice/jublk@t.service")));
    }

    @Test
    void aSessionScopeOrAMissingV2LineIsNoUnit() {
        assertNull(SystemdUnit.fromCgroup(List.of("0::/user.slice/user-0.slice/session-3.scope")));
        assertNull(SystemdUnit.fromCgroup(List.of("1:name=systemd:/system.slice/x.service")), "cgroup v1 only: unknown");
        assertNull(SystemdUnit.fromCgroup(List.of()));
    }

    /** Every exit status a recoverable server uses to ask for a take-over makes systemd start the unit again. */
    @Test
    void theUnitRestartsOnEveryTakeOverExitStatus() throws java.io.IOException {
        String unit = java.nio.file.Files.readString(java.nio.file.Path.of("packaging/jublk@.service"));
        String line = unit.lines().filter(l -> l.startsWith("RestartForceExitStatus=")).findFirst().orElse("");
        List<String> codes = List.of(line.substring(line.indexOf('=') + 1).trim().split("\\s+"));
        assertTrue(codes.contains(Integer.toString(DeviceServer.HANDED_OVER_EXIT)), line);
        assertTrue(codes.contains(Integer.toString(DeviceServer.QUEUE_FAILED_RECOVERABLE_EXIT)), line);
    }
}
