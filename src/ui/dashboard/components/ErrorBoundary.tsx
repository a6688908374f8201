import { Component, type ErrorInfo, type ReactNode } from 'react';
import { Text } from 'ink';

interface Props {
  /** Which part of the screen this guards, for the message. */
  name: string;
  children: ReactNode;
  /** Changing this key retries rendering the children. */
  resetKey?: unknown;
  onError?: (err: Error, info: ErrorInfo) => void;
}

interface State {
  error: Error | undefined;
  resetKey: unknown;
}

/**
 * Keeps a rendering bug in one panel from ending the session: the panel shows the error on
 * one line and the rest of the dashboard keeps running. It retries when `resetKey` changes.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: undefined, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (state.error && props.resetKey !== state.resetKey) return { error: undefined, resetKey: props.resetKey };
    if (props.resetKey !== state.resetKey) return { resetKey: props.resetKey };
    return null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    this.props.onError?.(error, info);
  }

  override render(): ReactNode {
    if (this.state.error) {
      return (
        <Text color="red">
          ✗ {this.props.name} could not be drawn: {this.state.error.message} (retrying on the next update; the rest keeps running)
        </Text>
      );
    }
    return this.props.children;
  }
}
