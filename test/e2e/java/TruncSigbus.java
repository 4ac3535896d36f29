// A JVM whose trace is truncated under it, then whose own MappedByteBuffer
// faults on a truncated file: the JVM's SIGBUS handler must turn its own fault
// into an InternalError, exactly as without the recorder, and the recorder's
// fault must never reach it. Usage: java TruncSigbus DIR ROUNDS
import java.io.File;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;

public class TruncSigbus {
  public static void main(String[] args) throws Exception {
    Path p = Paths.get(args[0], "mapped");
    int rounds = Integer.parseInt(args[1]);
    int cut = 0;
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(8192));
      for (int i = 0; i < rounds; i++) ch.force(i % 2 == 0);
      MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8192);
      m.put(0, (byte) 1);
      // This process's trace, truncated as someone else would.
      String dir = System.getenv("FSYNC_TRACE_DIR");
      File[] traces = dir == null ? null : new File(dir).listFiles();
      String mine = "." + ProcessHandle.current().pid() + ".";
      if (traces != null) {
        for (File f : traces) {
          if (f.getName().contains(mine)) {
            try (RandomAccessFile r = new RandomAccessFile(f, "rw")) { r.setLength(0); }
            cut++;
          }
        }
      }
      for (int i = 0; i < rounds; i++) ch.force(i % 2 == 0);
      ch.truncate(0);
      for (int i = 0; i < 3; i++) {
        try {
          m.put(4096 + i, (byte) 2);
          System.out.println("store " + i + " no fault");
        } catch (Throwable t) {
          System.out.println("store " + i + " caught " + t.getClass().getName());
        }
      }
      for (int i = 0; i < rounds; i++) ch.force(true);
    }
    System.err.println("cut=" + cut);
    System.out.println("done");
  }
}
