/** Marks an occurrence of a repeating meeting, in the week and in its panel. */
export function RepeatMark() {
  return (
    <span className="repeat-mark" role="img" aria-label="Repeats" title="Repeating meeting">
      ↻
    </span>
  );
}
